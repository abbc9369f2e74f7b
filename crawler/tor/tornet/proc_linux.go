package tornet

import "syscall"

// childAttr makes the kernel stop a tor child if this process dies without
// closing the network (tor's __OwningControllerProcess does the same from
// tor's side, within seconds).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
