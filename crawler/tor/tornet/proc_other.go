//go:build !linux

package tornet

import "syscall"

// childAttr returns no special attributes; tor's __OwningControllerProcess
// stops the children if this process dies.
func childAttr() *syscall.SysProcAttr { return nil }
