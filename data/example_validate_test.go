package data_test

import (
	"fmt"
	"time"

	"moatscore/data"
)

func ExampleNormalizeSlug() {
	fmt.Println(data.NormalizeSlug(" Series A "))
	fmt.Println(data.NormalizeSlug("Health-Care / Pharma"))
	// Output:
	// series_a
	// health_care_pharma
}

func ExampleDefaultReference() {
	ref := data.DefaultReference()
	na, _ := ref.Country("NA")
	fmt.Println(na.Name, ref.CountryZone("NA"))
	fmt.Println(ref.ProviderZone("mistral"), ref.ProviderClosed("some-new-lab"))
	fmt.Println(ref.Risk(data.ZoneCN, data.ZoneUS))
	during := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	after := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	fmt.Println(ref.Tier("ai_diffusion_2025", "CN", during), ref.Tier("ai_diffusion_2025", "CN", after))
	// Output:
	// Namibia other
	// eu true
	// 1
	// 3 0
}
