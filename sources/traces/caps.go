package traces

import (
	"net"
	"sync"
	"sync/atomic"
)

// budget bounds the request bytes the receiver holds at once, in all and
// per client, so that no client, and no crowd of clients, can make it hold
// more than MaxBufferedBytes.
type budget struct {
	mu        sync.Mutex
	total     int64
	max       int64
	perMax    int64
	perClient map[string]int64
}

type takeResult uint8

const (
	takeOK     takeResult = iota
	takeClient            // the client is over its share
	takeTotal             // the receiver is over its total
)

func newBudget(max, perClient int64) *budget {
	return &budget{max: max, perMax: perClient, perClient: map[string]int64{}}
}

// take reserves n bytes for client, or says which cap refuses them.
func (b *budget) take(client string, n int64) takeResult {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.perClient[client]+n > b.perMax {
		return takeClient
	}
	if b.total+n > b.max {
		return takeTotal
	}
	b.perClient[client] += n
	b.total += n
	return takeOK
}

// give returns n bytes that client took.
func (b *budget) give(client string, n int64) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.total -= n
	if left := b.perClient[client] - n; left > 0 {
		b.perClient[client] = left
	} else {
		delete(b.perClient, client)
	}
}

// held reports the bytes taken, in all and by client (for tests).
func (b *budget) held(client string) (total, byClient int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total, b.perClient[client]
}

// connLimiter closes a new connection at once when its client (remote IP)
// already holds max open ones.
type connLimiter struct {
	net.Listener
	max     int
	refused *atomic.Uint64

	mu   sync.Mutex
	open map[string]int
}

// Accept returns the next connection within its client's cap.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		client := clientOf(c.RemoteAddr().String())
		l.mu.Lock()
		if l.open[client] >= l.max {
			l.mu.Unlock()
			l.refused.Add(1)
			_ = c.Close()
			continue
		}
		l.open[client]++
		l.mu.Unlock()
		return &limitedConn{Conn: c, l: l, client: client}, nil
	}
}

func (l *connLimiter) release(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[client]--; l.open[client] <= 0 {
		delete(l.open, client)
	}
}

// limitedConn gives its place back once, however often it is closed.
type limitedConn struct {
	net.Conn
	l      *connLimiter
	client string
	once   sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.client) })
	return err
}
