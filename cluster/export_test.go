package cluster

// NumRoutes is how many route connections the node has: a test's view of who joined.
func (n *Node) NumRoutes() int { return n.srv.NumRoutes() }
