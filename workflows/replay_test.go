package workflows

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// recordedHistories are the histories TestRecordHistories (record_test.go)
// writes, one file per workflow run. A missing file fails the replay test,
// so that none is dropped by accident.
var recordedHistories = []string{
	"continue-as-new.json", "continue-as-new-2.json", "continue-as-new-3.json",
	"fail-batch.json", "fail-start.json", "finish.json", "max-pages.json",
	"pause-resume.json", "stop.json",
}

// TestReplayRecordedHistories replays the histories of CrawlSite runs
// recorded on a real Temporal server against the current CrawlSite. A change
// that would break a crawl in flight (another activity, a reordered call, a
// different continue-as-new) is nondeterministic and fails here. A run that
// completed must also end with the result it recorded.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range recordedHistories {
		if !slices.Contains(files, filepath.Join("testdata", "histories", want)) {
			t.Errorf("recorded history %s is missing", want)
		}
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run("the run recorded in "+name+" replays", func(t *testing.T) {
			replayHistory(t, file)
		})
	}
}

func replayHistory(t *testing.T, file string) {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(CrawlSite, workflow.RegisterOptions{Name: WorkflowCrawlSite})
	if err := r.ReplayWorkflowHistory(nil, h); err != nil {
		t.Fatalf("replay: %v", err)
	}
	last := h.Events[len(h.Events)-1]
	if last.GetEventType() != enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED {
		return
	}
	var recorded, replayed Progress
	err = converter.GetDefaultDataConverter().FromPayloads(last.GetWorkflowExecutionCompletedEventAttributes().GetResult(), &recorded)
	if err != nil {
		t.Fatal(err)
	}
	// The SDK's replayer keeps the result of a replayed completion, though
	// its interface does not say so.
	results, ok := r.(interface{ GetWorkflowResult(string, any) error })
	if !ok {
		t.Fatalf("the replayer %T does not give the replayed result", r)
	}
	if err := results.GetWorkflowResult("", &replayed); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(replayed, recorded) {
		t.Fatalf("replayed result %+v, recorded %+v", replayed, recorded)
	}
}
