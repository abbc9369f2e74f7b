package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"vigil"
	"vigil/extractors/contacts"
	"vigil/extractors/htmltext"
	"vigil/extractors/imagehash"
)

// hashRecord is one image in `hash --json` output.
type hashRecord struct {
	Path       string `json:"path"`
	SHA256     string `json:"sha256"`
	MD5        string `json:"md5"`
	PDQ        string `json:"pdq"`
	PDQQuality int    `json:"pdq_quality"`
	PHash      string `json:"phash"`
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	Error      string `json:"error,omitempty"`
}

func newHashCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "hash [--json] IMAGE...",
		Short: "Print the PDQ, pHash, SHA-256 and MD5 of image files (offline)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			h := imagehash.New(imagehash.Config{})
			out := cmd.OutOrStdout()
			enc := json.NewEncoder(out)
			var failures []string
			for _, path := range args {
				rec := hashRecord{Path: path}
				data, err := readBounded(path, imagehash.DefaultMaxBytes)
				if err == nil {
					var hs imagehash.Hashes
					hs, err = h.Hash(data)
					rec.SHA256, rec.MD5, rec.PDQ, rec.PDQQuality, rec.PHash = hs.SHA256, hs.MD5, hs.PDQ, hs.PDQQuality, hs.PHash
					rec.Width, rec.Height = hs.Width, hs.Height
				}
				if err != nil {
					rec.Error = err.Error()
					failures = append(failures, path+": "+err.Error())
					if !asJSON {
						continue
					}
				}
				if asJSON {
					if err := enc.Encode(rec); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintf(out, "%s\n  pdq    %s (quality %d)\n  phash  %s\n  sha256 %s\n  md5    %s\n", path, rec.PDQ, rec.PDQQuality, rec.PHash, rec.SHA256, rec.MD5)
			}
			switch {
			case len(failures) == 1 && len(args) == 1:
				return errors.New(failures[0])
			case len(failures) > 0:
				return fmt.Errorf("%d of %d files could not be hashed: %s", len(failures), len(args), strings.Join(failures, "; "))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON Lines, one image per line")
	return cmd
}

// extractRecord is one finding in `extract --json` output.
type extractRecord struct {
	Path    string     `json:"path"`
	Kind    vigil.Kind `json:"kind"`
	Value   string     `json:"value"`
	Offset  int        `json:"offset"`
	Snippet string     `json:"snippet"`
	Attr    string     `json:"attr,omitempty"` // where a value outside the text was read (vigil.Finding.Attr)
}

func newExtractCmd() *cobra.Command {
	var (
		asJSON bool
		region string
	)
	cmd := &cobra.Command{
		Use:   "extract [--json] [--region CC] FILE...",
		Short: "Print the contacts found in HTML or text files (offline)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(region) != 2 {
				return usagef("--region %q is not a two-letter country code", region)
			}
			x := contacts.New(contacts.Config{Region: region})
			out := cmd.OutOrStdout()
			enc := json.NewEncoder(out)
			for _, path := range args {
				f, err := os.Open(path)
				if err != nil {
					return err
				}
				page, err := htmltext.Parse(f, "")
				f.Close()
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				for _, fd := range x.Extract(page) {
					rec := extractRecord{Path: path, Kind: fd.Kind, Value: fd.Value, Offset: fd.Offset, Snippet: fd.Snippet, Attr: fd.Attr}
					if asJSON {
						if err := enc.Encode(rec); err != nil {
							return err
						}
						continue
					}
					fmt.Fprintf(out, "%s\t%s\t%s\n", path, fd.Kind, fd.Value)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON Lines, one finding per line")
	cmd.Flags().StringVar(&region, "region", "US", "country for phone numbers written without a country code")
	return cmd
}

// readBounded reads a file of at most max bytes.
func readBounded(path string, max int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > int64(max) {
		return nil, errors.New("file larger than the image size limit")
	}
	data := make([]byte, st.Size())
	_, err = io.ReadFull(f, data)
	return data, err
}
