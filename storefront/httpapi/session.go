package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/strata3d/strata/storefront"
)

// cookieName has the __Host- prefix: browsers only accept it with Secure,
// Path=/ and no Domain, so a sibling subdomain can't set or shadow it.
const cookieName = "__Host-session"

func (a *API) readSession(r *http.Request) (*storefront.Session, error) {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return nil, nil
	}
	return a.svc.Authenticate(r.Context(), ck.Value)
}

// setSession sends the session cookie. SameSite=Lax keeps it off cross-site
// subrequests and POSTs (CSRF), while links from other sites still arrive
// logged in; HttpOnly keeps it from scripts.
func (a *API) setSession(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: token, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		MaxAge: int(a.svc.SessionMaxAge() / time.Second),
	})
}

func clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// ensureSession returns the caller's session, starting a guest session (and
// sending its cookie) when there is none: a guest's first cart item.
func (a *API) ensureSession(w http.ResponseWriter, r *http.Request, c *call) (*storefront.Session, error) {
	if c.sess != nil {
		return c.sess, nil
	}
	token, sess, err := a.svc.StartGuestSession(r.Context())
	if err != nil {
		return nil, err
	}
	a.setSession(w, token)
	c.sess = sess
	return sess, nil
}

// clientIP is the address rate limits count: the configured proxy header's
// address, else the connection's peer.
func (a *API) clientIP(r *http.Request) string {
	if h := a.cfg.ClientIPHeader; h != "" {
		if v := strings.TrimSpace(strings.Split(r.Header.Get(h), ",")[0]); v != "" {
			if ap, err := netip.ParseAddrPort(v); err == nil {
				return ap.Addr().String()
			}
			if ip, err := netip.ParseAddr(v); err == nil {
				return ip.String()
			}
		}
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

func (a *API) signUp(w http.ResponseWriter, r *http.Request, c *call) error {
	var in storefront.SignUp
	if err := decode(r, &in); err != nil {
		return err
	}
	cus, err := a.svc.SignUp(r.Context(), in, a.clientIP(r))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/customers/me")
	return reply(w, r, http.StatusCreated, cus)
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (a *API) login(w http.ResponseWriter, r *http.Request, c *call) error {
	var in loginRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	token, _, cus, err := a.svc.Login(r.Context(), in.Email, in.Password, a.clientIP(r), c.sess)
	if err != nil {
		return err
	}
	a.setSession(w, token)
	return reply(w, r, http.StatusCreated, cus)
}

func (a *API) logout(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := a.svc.Logout(r.Context(), c.sess); err != nil {
		return err
	}
	clearSession(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) me(w http.ResponseWriter, r *http.Request, c *call) error {
	cus, err := a.svc.Me(r.Context(), c.sess)
	if err != nil {
		return err
	}
	return reply(w, r, http.StatusOK, cus)
}
