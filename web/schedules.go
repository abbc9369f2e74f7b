package web

import (
	"net/http"
	"strconv"
	"strings"

	"vigil"
)

// scheduleRoutes registers the crawl schedule API. It is served when the
// crawl service also implements vigil.ScheduleService (crawlclient.Service
// does); otherwise every schedule route answers 503. Listing needs a viewer;
// creating, pausing, resuming and deleting need an investigator (routeRoles).
func (s *Server) scheduleRoutes() {
	s.mux.HandleFunc("POST /api/schedules", s.auth(s.createSchedule))
	s.mux.HandleFunc("GET /api/schedules", s.auth(s.listSchedules))
	s.mux.HandleFunc("POST /api/schedules/{id}/{command}", s.auth(s.controlSchedule))
	s.mux.HandleFunc("DELETE /api/schedules/{id}", s.auth(s.deleteSchedule))
}

func (s *Server) schedules() (vigil.ScheduleService, error) {
	if sched, ok := s.cfg.Crawls.(vigil.ScheduleService); ok {
		return sched, nil
	}
	return nil, vigil.Errorf(vigil.EUNAVAILABLE, "this server has no crawl scheduler")
}

func (s *Server) createSchedule(w http.ResponseWriter, r *http.Request) {
	sched, err := s.schedules()
	if err != nil {
		writeError(w, err)
		return
	}
	var req vigil.ScheduleRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	var st vigil.ScheduleStatus
	err = s.checkCrawlSecrets(r.Context(), req.Crawl)
	if err == nil {
		st, err = sched.CreateSchedule(r.Context(), req)
	}
	outcome := "created " + st.ID
	if err != nil {
		outcome = "error: " + vigil.ErrorMessage(err)
	}
	if aerr := s.record(r, "schedule.create", req.Crawl.CaseID, queryMap(map[string]string{
		"every": req.Every, "catchup_window": req.CatchupWindow, "seeds": strings.Join(req.Crawl.Seeds, " "),
		"max_pages": strconv.Itoa(req.Crawl.MaxPages), "max_depth": strconv.Itoa(req.Crawl.MaxDepth), "note": req.Note,
		"login": req.Crawl.Login, "cookies": req.Crawl.Cookies,
	}), outcome); aerr != nil {
		writeError(w, aerr)
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, st)
}

func (s *Server) listSchedules(w http.ResponseWriter, r *http.Request) {
	sched, err := s.schedules()
	if err != nil {
		writeError(w, err)
		return
	}
	list, err := sched.Schedules(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	if list == nil {
		list = []vigil.ScheduleStatus{}
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) controlSchedule(w http.ResponseWriter, r *http.Request) {
	s.doControlSchedule(w, r, r.PathValue("command"))
}

func (s *Server) deleteSchedule(w http.ResponseWriter, r *http.Request) {
	s.doControlSchedule(w, r, vigil.ControlDelete)
}

// doControlSchedule pauses, resumes or deletes a schedule, audited.
func (s *Server) doControlSchedule(w http.ResponseWriter, r *http.Request, cmd string) {
	sched, err := s.schedules()
	if err != nil {
		writeError(w, err)
		return
	}
	id := r.PathValue("id")
	err = sched.ControlSchedule(r.Context(), id, cmd)
	outcome := "ok"
	if err != nil {
		outcome = "error: " + vigil.ErrorMessage(err)
	}
	if aerr := s.record(r, "schedule."+safeName(cmd), "", map[string]string{"id": id}, outcome); aerr != nil {
		writeError(w, aerr)
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id, "command": cmd})
}
