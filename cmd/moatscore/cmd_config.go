package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

type configOptions struct {
	format string
}

func (o *configOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.format, "format", "yaml", "output format: yaml (with where each value came from) or json")
	addInputFlags(fs)
	addOutFlag(fs)
	addRunDateFlag(fs)
}

func newConfigCmd(a *app) *cobra.Command {
	var opts configOptions
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration",
		Long: `Print the effective configuration: the defaults, overridden by the config file,
the MOATSCORE_* variables and the flags given here. In YAML, a comment after a
value says where it came from when it is not the default. The output is a valid
config file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConfig(a.env.stdout, a.config, opts)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

func runConfig(w io.Writer, lc *loadedConfig, opts configOptions) error {
	switch opts.format {
	case "yaml":
		return writeConfigYAML(w, lc)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(lc.cfg)
	default:
		return usageErrorf("--format %q: want yaml or json", opts.format)
	}
}

func writeConfigYAML(w io.Writer, lc *loadedConfig) error {
	var n yaml.Node
	if err := n.Encode(lc.cfg); err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	annotateSources(&n, "", lc.sources)
	var b bytes.Buffer
	b.WriteString("# moatscore effective configuration\n")
	if lc.file != "" {
		fmt.Fprintf(&b, "# config file: %s\n", lc.file)
	} else {
		b.WriteString("# config file: none\n")
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// annotateSources puts each value's source, when it is not the default, in
// a comment after it.
func annotateSources(n *yaml.Node, prefix string, sources map[string]string) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := prefix + k.Value
		if src, ok := sources[key]; ok {
			if src != sourceDefault {
				if v.Kind == yaml.MappingNode && len(v.Content) > 0 {
					k.LineComment = src
				} else {
					v.LineComment = src
				}
			}
			continue
		}
		annotateSources(v, key+".", sources)
	}
}
