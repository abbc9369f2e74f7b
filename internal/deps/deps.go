// Package deps pins modules that later code imports; removed once they are used.
package deps

import (
	_ "github.com/PuerkitoBio/goquery"
	_ "github.com/blevesearch/bleve/v2"
	_ "github.com/corona10/goimagehash"
	_ "github.com/disintegration/imaging"
	_ "github.com/elastic/go-elasticsearch/v8"
	_ "github.com/gocolly/colly/v2"
	_ "github.com/nyaruka/phonenumbers"
	_ "github.com/spf13/cobra"
	_ "go.etcd.io/bbolt"
	_ "go.temporal.io/sdk/client"
	_ "go.temporal.io/sdk/worker"
	_ "go.temporal.io/sdk/testsuite"
	_ "golang.org/x/net/proxy"
)
