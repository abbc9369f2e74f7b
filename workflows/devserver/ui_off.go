//go:build !temporalui

package devserver

// startUI is a no-op without the temporalui build tag: the UI server adds a
// large dependency tree that tests do not need.
func startUI(ip string, port int, frontend string) (uiServer, string) { return nil, "" }
