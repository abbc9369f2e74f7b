package activities

import (
	"reflect"
	"testing"

	"go.temporal.io/sdk/activity"

	"vigil/workflows"
)

// names records the activity names registered on it.
type names []string

func (n *names) RegisterActivityWithOptions(_ any, o activity.RegisterOptions) {
	*n = append(*n, o.Name)
}

// TestEveryContractActivityIsRegisteredByExactlyOneRole: each activity of
// workflows.Contract is registered by RegisterCrawl or by RegisterProcess,
// never both, by the role whose task queue the contract sends it to, and
// the roles register nothing else.
func TestEveryContractActivityIsRegisteredByExactlyOneRole(t *testing.T) {
	a := &Activities{}
	var crawl, process names
	a.RegisterCrawl(&crawl)
	a.RegisterProcess(&process)
	roles := map[string]*names{workflows.CrawlTaskQueue: &crawl, workflows.ProcessTaskQueue: &process}

	contract := reflect.ValueOf(workflows.Contract)
	for i := range contract.NumField() {
		act := contract.Field(i)
		name, queue := act.FieldByName("Name").String(), act.FieldByName("TaskQueue").String()
		t.Run(contract.Type().Field(i).Name+" is registered once, by the role of its queue", func(t *testing.T) {
			count := 0
			for q, reg := range roles {
				for _, n := range *reg {
					if n != name {
						continue
					}
					count++
					if q != queue {
						t.Errorf("%s is registered by the role of %s; the contract sends it to %s", name, q, queue)
					}
				}
			}
			if count != 1 {
				t.Errorf("%s is registered %d times, want once", name, count)
			}
		})
	}
	if n := len(crawl) + len(process); n != contract.NumField() {
		t.Errorf("the roles register %d activities (%v, %v); the contract has %d", n, crawl, process, contract.NumField())
	}
	var all names
	a.Register(&all)
	if len(all) != contract.NumField() {
		t.Errorf("Register registers %v, want every activity of the contract", all)
	}
}
