package demo_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"vigil/internal/demo"
)

func Example() {
	site := demo.New(demo.Config{})
	srv := httptest.NewServer(site)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	fmt.Println(resp.StatusCode, len(site.Pages()), site.Pages()[0])
	for _, c := range site.Signatures()[:2] {
		fmt.Println(c.Kind, c.Text != "")
	}
	// Output:
	// 200 595 /
	// telegram true
	// phone true
}

func ExampleForPages() {
	cfg := demo.ForPages(20000)
	fmt.Println(cfg.PageCount())
	// Output: 20000
}
