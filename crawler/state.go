package crawler

import "sync"

// crawlState is the queue and bookkeeping of one Crawl call, shared by its
// workers.
type crawlState struct {
	mu       sync.Mutex
	cond     *sync.Cond
	queue    []Request
	head     int
	requeued []Request // taken from the queue but not fetched; first in remaining
	inflight int
	started  int
	maxPages int
	halted   bool
	err      error
	stats    Stats
	known    map[string]bool // URLs this call knows are marked in Seen
	images   map[string]bool // image URLs this call has taken
}

func newCrawlState(frontier []Request, maxPages int) *crawlState {
	st := &crawlState{
		queue:    append([]Request(nil), frontier...),
		maxPages: maxPages,
		known:    make(map[string]bool, len(frontier)),
		images:   make(map[string]bool),
	}
	st.cond = sync.NewCond(&st.mu)
	for _, r := range frontier {
		st.known[r.URL] = true
	}
	return st
}

// next takes the next request, waiting while the queue is empty but pages
// are in flight (they may add links). ok is false when the crawl is over for
// this worker.
func (st *crawlState) next() (r Request, ok bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for {
		if st.halted || st.err != nil || (st.maxPages > 0 && st.started >= st.maxPages) {
			return Request{}, false
		}
		if st.head < len(st.queue) {
			r = st.queue[st.head]
			st.queue[st.head] = Request{}
			st.head++
			if st.head > 1024 && st.head*2 > len(st.queue) {
				st.queue = append([]Request(nil), st.queue[st.head:]...)
				st.head = 0
			}
			st.started++
			st.inflight++
			return r, true
		}
		if st.inflight == 0 {
			return Request{}, false
		}
		st.cond.Wait()
	}
}

// push appends newly marked requests to the queue.
func (st *crawlState) push(rs []Request) {
	if len(rs) == 0 {
		return
	}
	st.mu.Lock()
	st.queue = append(st.queue, rs...)
	st.mu.Unlock()
	st.cond.Broadcast()
}

// finish ends an in-flight request.
func (st *crawlState) finish(err error) {
	st.mu.Lock()
	st.inflight--
	if err != nil && st.err == nil {
		st.err = err
	}
	st.mu.Unlock()
	st.cond.Broadcast()
}

// abort ends an in-flight request that was not fetched: it goes back into
// the remaining frontier. A non-nil err stops the crawl.
func (st *crawlState) abort(r Request, err error) {
	st.mu.Lock()
	st.requeued = append(st.requeued, r)
	st.mu.Unlock()
	st.finish(err)
}

// halt stops handing out requests (the context is done).
func (st *crawlState) halt() {
	st.mu.Lock()
	st.halted = true
	st.mu.Unlock()
	st.cond.Broadcast()
}

func (st *crawlState) count(f func(*Stats)) {
	st.mu.Lock()
	f(&st.stats)
	st.mu.Unlock()
}

// markKnown records url as marked in this call and reports whether it was
// new here. Only URLs new here are offered to Seen.
func (st *crawlState) markKnown(url string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.known[url] {
		return false
	}
	st.known[url] = true
	return true
}

func (st *crawlState) markImage(url string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.images[url] {
		return false
	}
	st.images[url] = true
	return true
}

// result returns the remaining frontier, the stats and the error that
// stopped the crawl, once every worker has returned.
func (st *crawlState) result() ([]Request, Stats, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	rem := make([]Request, 0, len(st.requeued)+len(st.queue)-st.head)
	rem = append(rem, st.requeued...)
	rem = append(rem, st.queue[st.head:]...)
	return rem, st.stats, st.err
}
