package embedded

import (
	"context"

	"vigil"
)

// The embedded store keeps raw captures as files under Dir/captures through
// package capturefs (the same layout split deployments share); these methods
// add the store's open/closed state to it.

// capturePath returns the file of a capture (capturefs.Store.Path).
func (s *Store) capturePath(id string) (string, error) { return s.files.Path(id) }

// PutCapture stores the raw body captured for a document
// (capturefs.Store.PutCapture: atomic, durable once SyncCaptures returns).
func (s *Store) PutCapture(ctx context.Context, documentID string, body []byte) error {
	if _, err := s.capturePath(documentID); err != nil {
		return err
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	return s.files.PutCapture(ctx, documentID, body)
}

// SyncCaptures makes every capture written so far durable: one syncfs(2) of
// the filesystem that holds them. Callers sync before recording that a
// batch's captures exist.
func (s *Store) SyncCaptures(ctx context.Context) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	return s.files.SyncCaptures(ctx)
}

// Capture returns the raw body captured for a document, or an ENOTFOUND
// error.
func (s *Store) Capture(ctx context.Context, documentID string) ([]byte, error) {
	if _, err := s.capturePath(documentID); err != nil {
		return nil, vigil.Errorf(vigil.ENOTFOUND, "capture %q not found", documentID)
	}
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	return s.files.Capture(ctx, documentID)
}
