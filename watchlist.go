package vigil

import "time"

// MaxWatchlistBytes bounds an imported watchlist file.
const MaxWatchlistBytes = 32 << 20

// Watchlist summarises one imported list of known hashes (victim photos
// shared by partners: PDQ, pHash64, MD5, SHA-256, each with a label).
type Watchlist struct {
	Name        string         `json:"name"`
	Entries     int            `json:"entries"`
	ByAlgorithm map[string]int `json:"by_algorithm"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

// WatchlistImport says what importing a watchlist file changed.
type WatchlistImport struct {
	List    string `json:"list"`
	Rows    int    `json:"rows"`    // hashes in the file
	Added   int    `json:"added"`   // new entries
	Updated int    `json:"updated"` // entries already there (label refreshed)
}

// Alert is a crawled image that matched a watchlist entry. It is stored once
// per image ID and entry ID.
type Alert struct {
	ID        string    `json:"id"`
	RaisedAt  time.Time `json:"raised_at"`
	List      string    `json:"list"`
	EntryID   string    `json:"entry_id"`
	Label     string    `json:"label"`
	Algorithm string    `json:"algorithm"`
	Hash      string    `json:"hash"` // the entry's hash
	Distance  int       `json:"distance"`
	// PageURL, ImageURL and Site repeat the image's, for flat listings.
	PageURL  string `json:"page_url"`
	ImageURL string `json:"image_url"`
	Site     string `json:"site,omitempty"`
	Image    Image  `json:"image"`
}
