package contacts

func (c *collector) pgp()              {}
func (c *collector) runs()             {}
func (c *collector) handles()          {}
func (c *collector) links(ls []string) {}
