package storefront

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"time"
)

// Service holds the storefront's business rules over its stores and payment
// provider. It is safe for concurrent use.
type Service struct {
	cfg      Config
	stores   Stores
	payments PaymentProvider
	log      *slog.Logger
	now      func() time.Time

	perAccount *Limiter
	perIP      *Limiter
	hashSlots  chan struct{}
	// dummyHash is verified when an email is unknown, so a login's timing does
	// not tell whether an account exists.
	dummyHash string
}

// New builds a Service. payments defaults to OfflinePayments, log to slog's default.
func New(cfg Config, stores Stores, payments PaymentProvider, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := stores.validate(); err != nil {
		return nil, err
	}
	if payments == nil {
		payments = OfflinePayments{}
	}
	if log == nil {
		log = slog.Default()
	}
	dummy, err := HashPassword("strata-no-such-account", cfg.Password)
	if err != nil {
		return nil, err
	}
	return &Service{
		cfg: cfg, stores: stores, payments: payments, log: log, now: cfg.Now,
		perAccount: NewLimiter(cfg.LoginPerAccount, cfg.RateLimitKeys),
		perIP:      NewLimiter(cfg.LoginPerIP, cfg.RateLimitKeys),
		hashSlots:  make(chan struct{}, cfg.MaxConcurrentHashes),
		dummyHash:  dummy,
	}, nil
}

// Stores returns the stores the service runs on.
func (s *Service) Stores() Stores { return s.stores }

// PaymentProviderName names the configured payment provider.
func (s *Service) PaymentProviderName() string { return s.payments.Name() }

// withStock fills the Stock of every variant of ps from the inventory.
func (s *Service) withStock(ctx context.Context, ps ...*Product) error {
	var skus []string
	for _, p := range ps {
		skus = append(skus, p.SKUs()...)
	}
	if len(skus) == 0 {
		return nil
	}
	stock, err := s.stores.Inventory.Stock(ctx, skus)
	if err != nil {
		return unavailable(err)
	}
	for _, p := range ps {
		for i := range p.Variants {
			p.Variants[i].Stock = stock[p.Variants[i].SKU]
		}
	}
	return nil
}

// ListProducts returns a page of the catalog with current stock.
func (s *Service) ListProducts(ctx context.Context, q ProductQuery) (ProductPage, error) {
	q.Normalize()
	if err := q.Validate(); err != nil {
		return ProductPage{}, err
	}
	page, err := s.stores.Products.ListProducts(ctx, q)
	if err != nil {
		return ProductPage{}, storeErr(err)
	}
	ptrs := make([]*Product, len(page.Products))
	for i := range page.Products {
		ptrs[i] = &page.Products[i]
	}
	if err := s.withStock(ctx, ptrs...); err != nil {
		return ProductPage{}, err
	}
	if page.Products == nil {
		page.Products = []Product{}
	}
	return page, nil
}

// Product finds a product by id or, when ref is not an id, by slug.
func (s *Service) Product(ctx context.Context, ref string) (*Product, error) {
	var p *Product
	var err error
	switch {
	case ValidID("prd", ref):
		p, err = s.stores.Products.Product(ctx, ref)
	case ValidSlug(ref, 80):
		p, err = s.stores.Products.ProductBySlug(ctx, ref)
	default:
		return nil, Errorf(CodeNotFound, "No such product.")
	}
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeNotFound, "No such product.")
	}
	if err != nil {
		return nil, storeErr(err)
	}
	if err := s.withStock(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// CreateProduct adds a product and sets its variants' stock.
func (s *Service) CreateProduct(ctx context.Context, p Product) (*Product, error) {
	p.Normalize()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	p.ID, p.Version, p.CreatedAt, p.UpdatedAt = NewID("prd"), 0, now, now
	// Stock first: a product visible without its stock would read as sold out,
	// while stock without a product is invisible and harmless.
	if err := s.setStock(ctx, p.Variants); err != nil {
		return nil, err
	}
	if err := s.stores.Products.CreateProduct(ctx, &p); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, Errorf(CodeConflict, "The slug or a SKU is already used by another product.")
		}
		return nil, storeErr(err)
	}
	return &p, nil
}

// UpdateProduct replaces product id. A non-zero p.Version must be the current
// version (optimistic locking against another admin); 0 overwrites whatever
// is stored.
func (s *Service) UpdateProduct(ctx context.Context, id string, p Product) (*Product, error) {
	p.Normalize()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	cur, err := s.stores.Products.Product(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeNotFound, "No such product.")
	}
	if err != nil {
		return nil, storeErr(err)
	}
	if p.Version != 0 && p.Version != cur.Version {
		return nil, Errorf(CodeConflict, "The product changed since version %d; reload it.", p.Version)
	}
	p.ID, p.Version, p.CreatedAt, p.UpdatedAt = cur.ID, cur.Version, cur.CreatedAt, s.now().UTC()
	if err := s.setStock(ctx, p.Variants); err != nil {
		return nil, err
	}
	if err := s.stores.Products.UpdateProduct(ctx, &p); err != nil {
		switch {
		case errors.Is(err, ErrNotFound):
			return nil, Errorf(CodeNotFound, "No such product.")
		case errors.Is(err, ErrConflict):
			return nil, Errorf(CodeConflict, "The product changed meanwhile, or its slug or a SKU is used by another product.")
		}
		return nil, storeErr(err)
	}
	return &p, nil
}

// DeleteProduct removes a product. Its stock rows stay (orders reference SKUs).
func (s *Service) DeleteProduct(ctx context.Context, id string) error {
	err := s.stores.Products.DeleteProduct(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Errorf(CodeNotFound, "No such product.")
	}
	return storeErr(err)
}

func (s *Service) setStock(ctx context.Context, vs []Variant) error {
	for _, v := range vs {
		if err := s.stores.Inventory.SetStock(ctx, v.SKU, v.Stock); err != nil {
			return unavailable(err)
		}
	}
	return nil
}

// storeErr passes *Error values through (they are already public) and turns
// anything else into CodeUnavailable.
func storeErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return unavailable(err)
}

// ClientIPKey reduces an IP to the unit a limiter counts: the address for
// IPv4, the /64 for IPv6 (one host usually owns a whole /64, so counting
// single IPv6 addresses would let it rotate past any limit).
func ClientIPKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a.WithZone(""), 64).Masked().String()
}
