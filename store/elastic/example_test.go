package elastic_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"vigil"
	"vigil/store/elastic"
)

// ExampleOpen shows the wiring cmd/vigil does for `vigil worker` and
// `vigil serve` when ELASTICSEARCH_URL is set (deploy/CONFIG.md): the
// environment is read once by the command, never by the store.
func ExampleOpen() {
	env := map[string]string{ // os.Getenv in cmd/vigil
		"ELASTICSEARCH_URL":      "http://127.0.0.1:9200",
		"ELASTICSEARCH_USERNAME": "elastic",
		"ELASTICSEARCH_PASSWORD": "secret",
		"VIGIL_INDEX_PREFIX":     "vigil",
	}
	s, err := elastic.Open(context.Background(), elastic.Config{
		URLs:        strings.Split(env["ELASTICSEARCH_URL"], ","),
		Username:    env["ELASTICSEARCH_USERNAME"],
		Password:    env["ELASTICSEARCH_PASSWORD"],
		IndexPrefix: env["VIGIL_INDEX_PREFIX"],
	})
	if err != nil {
		log.Fatal(err) // vigil.ErrorCode(err) is "unavailable" when the cluster is down
	}
	defer s.Close()

	hits, err := s.MatchImages(context.Background(), vigil.ImageQuery{
		Hashes: []vigil.QueryHash{{Algorithm: vigil.AlgoPDQ, Value: strings.Repeat("0f", 32), Variant: "original"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range hits {
		fmt.Println(h.Image.PageURL, h.Algorithm, h.Distance)
	}
}
