package storefront

import (
	"context"
	"errors"
	"time"
)

// errBadLogin is the one answer for an unknown email and a wrong password, so
// the API does not tell which accounts exist.
var errBadLogin = Errorf(CodeUnauthenticated, "The email or the password is wrong.")

// acquireHash waits for a hashing slot (bounded memory and CPU).
func (s *Service) acquireHash(ctx context.Context) (func(), error) {
	select {
	case s.hashSlots <- struct{}{}:
		return func() { <-s.hashSlots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func rateLimited(wait time.Duration) error {
	return &Error{Code: CodeRateLimited, Message: "Too many attempts; try again later.", RetryAfter: max(wait, time.Second)}
}

// SignUp creates an account. ip is the client's address (rate limiting).
func (s *Service) SignUp(ctx context.Context, in SignUp, ip string) (*Customer, error) {
	if ok, wait := s.perIP.Allow(ClientIPKey(ip), s.now()); !ok {
		return nil, rateLimited(wait)
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	release, err := s.acquireHash(ctx)
	if err != nil {
		return nil, err
	}
	hash, err := HashPassword(in.Password, s.cfg.Password)
	release()
	if err != nil {
		return nil, Wrap(CodeInternal, err, "Internal error.")
	}
	c := &Customer{ID: NewID("cus"), Email: in.Email, Name: in.Name, PasswordHash: hash, CreatedAt: s.now().UTC()}
	if err := s.stores.Customers.CreateCustomer(ctx, c); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, &Error{Code: CodeConflict, Message: "An account with this email exists.", Fields: []FieldError{{Field: "email", Message: "is already registered"}}}
		}
		return nil, storeErr(err)
	}
	return c, nil
}

// Login checks credentials and starts a new session for the customer. The
// current session (a guest's, or anyone's) is ended — the id changes at every
// login, so a session id planted before login is worthless after it — and
// its guest cart is merged into the customer's cart.
func (s *Service) Login(ctx context.Context, email, password, ip string, current *Session) (token string, sess *Session, c *Customer, err error) {
	now := s.now()
	email = NormalizeEmail(email)
	if ok, wait := s.perIP.Allow(ClientIPKey(ip), now); !ok {
		return "", nil, nil, rateLimited(wait)
	}
	if ok, wait := s.perAccount.Check(email, now); !ok {
		return "", nil, nil, rateLimited(wait)
	}
	if email == "" || password == "" || len(password) > maxPassword || len(email) > 254 {
		return "", nil, nil, errBadLogin
	}
	c, err = s.stores.Customers.CustomerByEmail(ctx, email)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return "", nil, nil, storeErr(err)
	}
	release, err := s.acquireHash(ctx)
	if err != nil {
		return "", nil, nil, err
	}
	hash := s.dummyHash
	if c != nil {
		hash = c.PasswordHash
	}
	ok, verr := VerifyPassword(password, hash)
	if ok && c != nil && needsRehash(c.PasswordHash, s.cfg.Password) {
		if h, err := HashPassword(password, s.cfg.Password); err == nil {
			if err := s.stores.Customers.SetPasswordHash(ctx, c.ID, h); err != nil {
				s.log.Warn("storefront: password rehash not stored", "customer", c.ID, "err", err)
			}
		}
	}
	release()
	if verr != nil && c != nil {
		s.log.Error("storefront: unreadable password hash", "customer", c.ID, "err", verr)
	}
	if !ok || c == nil {
		s.perAccount.Allow(email, now)
		return "", nil, nil, errBadLogin
	}
	token, sess, err = s.startSession(ctx, c.ID, "")
	if err != nil {
		return "", nil, nil, err
	}
	if current != nil {
		if current.CartID != "" {
			if err := s.mergeCart(ctx, current.CartID, CustomerCartID(c.ID)); err != nil {
				s.log.Warn("storefront: guest cart not merged", "customer", c.ID, "err", err)
			}
		}
		if err := s.stores.Sessions.DeleteSession(ctx, current.ID); err != nil {
			s.log.Warn("storefront: old session not deleted", "err", err)
		}
	}
	return token, sess, c, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, sess *Session) error {
	if sess == nil {
		return nil
	}
	return storeErr(s.stores.Sessions.DeleteSession(ctx, sess.ID))
}

// StartGuestSession starts a session without a customer, with its own cart.
func (s *Service) StartGuestSession(ctx context.Context) (string, *Session, error) {
	return s.startSession(ctx, "", NewID("cart"))
}

func (s *Service) startSession(ctx context.Context, customerID, cartID string) (string, *Session, error) {
	token, err := NewSessionToken()
	if err != nil {
		return "", nil, Wrap(CodeInternal, err, "Internal error.")
	}
	now := s.now().UTC()
	sess := &Session{ID: SessionID(token), CustomerID: customerID, CartID: cartID, CreatedAt: now, LastSeenAt: now}
	sess.ExpiresAt = s.expiry(sess)
	if err := s.stores.Sessions.CreateSession(ctx, sess); err != nil {
		return "", nil, storeErr(err)
	}
	return token, sess, nil
}

// expiry is the earlier of the idle and the absolute deadline.
func (s *Service) expiry(sess *Session) time.Time {
	idle := sess.LastSeenAt.Add(s.cfg.SessionIdleTimeout)
	abs := sess.CreatedAt.Add(s.cfg.SessionMaxAge)
	if idle.Before(abs) {
		return idle
	}
	return abs
}

// SessionMaxAge is how long a session may live; cookies use it as Max-Age.
func (s *Service) SessionMaxAge() time.Duration { return s.cfg.SessionMaxAge }

// Authenticate returns the live session of a cookie token, or nil when the
// token is malformed, unknown or expired. Expiry is decided here, in code, on
// every read: stores' TTLs are only housekeeping.
func (s *Service) Authenticate(ctx context.Context, token string) (*Session, error) {
	if !validToken(token) {
		return nil, nil
	}
	sess, err := s.stores.Sessions.Session(ctx, SessionID(token))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, storeErr(err)
	}
	now := s.now().UTC()
	if !now.Before(s.expiry(sess)) {
		if err := s.stores.Sessions.DeleteSession(ctx, sess.ID); err != nil {
			s.log.Warn("storefront: expired session not deleted", "err", err)
		}
		return nil, nil
	}
	// Writing on every request would double the store's load; a minute (or a
	// hundredth of the idle timeout) of slack in the idle deadline is harmless.
	if now.Sub(sess.LastSeenAt) >= min(time.Minute, s.cfg.SessionIdleTimeout/100) {
		sess.LastSeenAt = now
		sess.ExpiresAt = s.expiry(sess)
		if err := s.stores.Sessions.TouchSession(ctx, sess.ID, sess.LastSeenAt, sess.ExpiresAt); err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil, nil // logged out concurrently
			}
			return nil, storeErr(err)
		}
	}
	return sess, nil
}

// Me returns the session's customer.
func (s *Service) Me(ctx context.Context, sess *Session) (*Customer, error) {
	if sess == nil || sess.CustomerID == "" {
		return nil, Errorf(CodeUnauthenticated, "Log in first.")
	}
	c, err := s.stores.Customers.Customer(ctx, sess.CustomerID)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeUnauthenticated, "Log in first.")
	}
	if err != nil {
		return nil, storeErr(err)
	}
	return c, nil
}
