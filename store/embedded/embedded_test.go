package embedded_test

import (
	"testing"

	"vigil"
	"vigil/store/embedded"
	"vigil/store/storetest"
)

func open(t *testing.T, dir string) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(embedded.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) vigil.Store { return open(t, t.TempDir()) })
}
