// Module tools pins the developer tools the Makefile builds, apart from the
// main module so that their dependencies never move Vigil's own (the
// embedded Temporal set in particular). Build one with
//
//	go -C internal/tools build -o ../../bin/workflowcheck go.temporal.io/sdk/contrib/tools/workflowcheck
module vigil/internal/tools

go 1.26.8

tool go.temporal.io/sdk/contrib/tools/workflowcheck

require (
	go.temporal.io/sdk/contrib/tools/workflowcheck v0.6.0 // indirect
	golang.org/x/mod v0.30.0 // indirect
	golang.org/x/sync v0.19.0 // indirect
	golang.org/x/tools v0.39.0 // indirect
	gopkg.in/yaml.v2 v2.4.0 // indirect
)
