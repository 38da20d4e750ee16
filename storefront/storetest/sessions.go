package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/strata3d/strata/storefront"
)

func testSessions(t *testing.T, s storefront.Stores) {
	ctx := context.Background()
	token, err := storefront.NewSessionToken()
	if err != nil {
		t.Fatal(err)
	}
	sess := &storefront.Session{ID: storefront.SessionID(token), CustomerID: "cus_x", CartID: "cart_y",
		CreatedAt: base, LastSeenAt: base, ExpiresAt: base.Add(time.Hour)}
	if err := s.Sessions.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	got, err := s.Sessions.Session(ctx, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != sess.ID || got.CustomerID != "cus_x" || got.CartID != "cart_y" || !got.CreatedAt.Equal(base) ||
		!got.LastSeenAt.Equal(base) || !got.ExpiresAt.Equal(base.Add(time.Hour)) {
		t.Fatalf("session %+v, want %+v", got, sess)
	}
	guest := &storefront.Session{ID: storefront.SessionID(token + "2"), CartID: "cart_z", CreatedAt: base, LastSeenAt: base, ExpiresAt: base.Add(time.Hour)}
	if err := s.Sessions.CreateSession(ctx, guest); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Sessions.Session(ctx, guest.ID); err != nil || got.CustomerID != "" || got.CartID != "cart_z" {
		t.Fatalf("guest %+v, %v", got, err)
	}
	seen := base.Add(10 * time.Minute)
	if err := s.Sessions.TouchSession(ctx, sess.ID, seen, seen.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Sessions.Session(ctx, sess.ID); err != nil || !got.LastSeenAt.Equal(seen) || !got.ExpiresAt.Equal(seen.Add(time.Hour)) || !got.CreatedAt.Equal(base) {
		t.Fatalf("after touch %+v, %v", got, err)
	}
	if err := s.Sessions.DeleteSession(ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sessions.Session(ctx, sess.ID); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("deleted session: %v", err)
	}
	if err := s.Sessions.TouchSession(ctx, sess.ID, seen, seen); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("touch deleted session: %v, want ErrNotFound (touch must not resurrect)", err)
	}
	if _, err := s.Sessions.Session(ctx, sess.ID); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("touch resurrected the session: %v", err)
	}
	if err := s.Sessions.DeleteSession(ctx, sess.ID); err != nil {
		t.Fatalf("delete missing session: %v", err)
	}
}

func testCartVersions(t *testing.T, s storefront.Stores) {
	ctx := context.Background()
	id := storefront.NewID("cart")
	if _, err := s.Carts.Cart(ctx, id); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("missing cart: %v", err)
	}
	c := &storefront.Cart{ID: id, Lines: []storefront.CartLine{{SKU: "A", Quantity: 2}}, UpdatedAt: base, ExpiresAt: base.Add(time.Hour)}
	if err := s.Carts.SaveCart(ctx, c); err != nil {
		t.Fatal(err)
	}
	if c.Version != 1 {
		t.Fatalf("version %d, want 1", c.Version)
	}
	again := &storefront.Cart{ID: id}
	if err := s.Carts.SaveCart(ctx, again); !errors.Is(err, storefront.ErrConflict) {
		t.Fatalf("create over an existing cart: %v, want ErrConflict", err)
	}
	got, err := s.Carts.Cart(ctx, id)
	if err != nil || got.Version != 1 || len(got.Lines) != 1 || got.Lines[0] != (storefront.CartLine{SKU: "A", Quantity: 2}) ||
		!got.ExpiresAt.Equal(base.Add(time.Hour)) || !got.UpdatedAt.Equal(base) {
		t.Fatalf("cart %+v, %v", got, err)
	}
	got.Lines = append(got.Lines, storefront.CartLine{SKU: "B", Quantity: 1})
	got.ExpiresAt = time.Time{}
	if err := s.Carts.SaveCart(ctx, got); err != nil || got.Version != 2 {
		t.Fatalf("update: version %d, %v", got.Version, err)
	}
	if err := s.Carts.SaveCart(ctx, c); !errors.Is(err, storefront.ErrConflict) {
		t.Fatalf("stale save: %v, want ErrConflict", err)
	}
	if got, err := s.Carts.Cart(ctx, id); err != nil || len(got.Lines) != 2 || !got.ExpiresAt.IsZero() {
		t.Fatalf("after update %+v, %v", got, err)
	}
	got.Lines = nil
	if err := s.Carts.SaveCart(ctx, got); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Carts.Cart(ctx, id); err != nil || len(got.Lines) != 0 {
		t.Fatalf("emptied cart %+v, %v", got, err)
	}
	if err := s.Carts.DeleteCart(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Carts.Cart(ctx, id); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("deleted cart: %v", err)
	}
	if err := s.Carts.DeleteCart(ctx, id); err != nil {
		t.Fatalf("delete missing cart: %v", err)
	}
}

// testCartConcurrent runs read-modify-write loops from several goroutines;
// optimistic locking must make every increment count.
func testCartConcurrent(t *testing.T, s storefront.Stores) {
	ctx := context.Background()
	id := storefront.NewID("cart")
	const workers, each = 6, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range each {
				for {
					c, err := s.Carts.Cart(ctx, id)
					if errors.Is(err, storefront.ErrNotFound) {
						c, err = &storefront.Cart{ID: id}, nil
					}
					if err != nil {
						errs <- err
						return
					}
					if len(c.Lines) == 0 {
						c.Lines = []storefront.CartLine{{SKU: "A"}}
					}
					c.Lines[0].Quantity++
					err = s.Carts.SaveCart(ctx, c)
					if errors.Is(err, storefront.ErrConflict) {
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					break
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	c, err := s.Carts.Cart(ctx, id)
	if err != nil || c.Lines[0].Quantity != workers*each || c.Version != workers*each {
		t.Fatalf("cart %+v, %v; want quantity and version %d", c, err, workers*each)
	}
}

// MustCustomer stores a customer with a placeholder hash.
func MustCustomer(tb testing.TB, s storefront.CustomerStore, email string) *storefront.Customer {
	tb.Helper()
	c := &storefront.Customer{ID: storefront.NewID("cus"), Email: email, Name: "Test " + email,
		PasswordHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U", CreatedAt: base}
	if err := s.CreateCustomer(context.Background(), c); err != nil {
		tb.Fatalf("create customer %s: %v", email, err)
	}
	return c
}

func testCustomers(t *testing.T, s storefront.Stores) {
	ctx := context.Background()
	c := MustCustomer(t, s.Customers, "ada@example.com")
	for name, get := range map[string]func() (*storefront.Customer, error){
		"id":    func() (*storefront.Customer, error) { return s.Customers.Customer(ctx, c.ID) },
		"email": func() (*storefront.Customer, error) { return s.Customers.CustomerByEmail(ctx, "ada@example.com") },
	} {
		got, err := get()
		if err != nil || got.ID != c.ID || got.Email != c.Email || got.Name != c.Name || got.PasswordHash != c.PasswordHash || !got.CreatedAt.Equal(base) {
			t.Fatalf("by %s: %+v, %v", name, got, err)
		}
	}
	dup := &storefront.Customer{ID: storefront.NewID("cus"), Email: "ada@example.com", PasswordHash: "x", CreatedAt: base}
	if err := s.Customers.CreateCustomer(ctx, dup); !errors.Is(err, storefront.ErrConflict) {
		t.Fatalf("duplicate email: %v, want ErrConflict", err)
	}
	if err := s.Customers.SetPasswordHash(ctx, c.ID, "new-hash"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Customers.Customer(ctx, c.ID); err != nil || got.PasswordHash != "new-hash" {
		t.Fatalf("after rehash %+v, %v", got, err)
	}
	if _, err := s.Customers.CustomerByEmail(ctx, "bob@example.com"); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("missing email: %v", err)
	}
	if err := s.Customers.SetPasswordHash(ctx, storefront.NewID("cus"), "h"); !errors.Is(err, storefront.ErrNotFound) {
		t.Fatalf("rehash missing: %v", err)
	}
}
