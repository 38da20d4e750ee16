package lod

import (
	"errors"
	"fmt"
)

// Kinds of input problems; every *InputError wraps one, so callers can tell
// a bad upload (errors.Is(err, ErrInvalidInput)) from a refused one.
var (
	// ErrInvalidInput: the input is not valid glTF 2.0 (truncated file, bad
	// JSON, references or byte ranges that point nowhere, lying counts).
	ErrInvalidInput = errors.New("invalid glTF")
	// ErrUnsupported: valid glTF that Bake cannot process, such as
	// geometry compressed with Draco or meshopt.
	ErrUnsupported = errors.New("unsupported glTF")
	// ErrLimit: the input exceeds one of Config's limits.
	ErrLimit = errors.New("input exceeds a limit")
)

// InputError says what is wrong with the input and where.
type InputError struct {
	// Kind is ErrInvalidInput, ErrUnsupported or ErrLimit.
	Kind error
	// Where locates the problem: a JSON pointer into the glTF document such
	// as "/accessors/3", or a place in the GLB container such as "GLB header".
	Where string
	// What describes the problem.
	What string
}

func (e *InputError) Error() string {
	if e.Where == "" {
		return fmt.Sprintf("lod: %v: %s", e.Kind, e.What)
	}
	return fmt.Sprintf("lod: %v at %s: %s", e.Kind, e.Where, e.What)
}

func (e *InputError) Unwrap() error { return e.Kind }

func invalid(where, format string, args ...any) error {
	return &InputError{Kind: ErrInvalidInput, Where: where, What: fmt.Sprintf(format, args...)}
}

func unsupported(where, format string, args ...any) error {
	return &InputError{Kind: ErrUnsupported, Where: where, What: fmt.Sprintf(format, args...)}
}

func overLimit(where, format string, args ...any) error {
	return &InputError{Kind: ErrLimit, Where: where, What: fmt.Sprintf(format, args...)}
}
