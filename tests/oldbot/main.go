// Command oldbot writes a folder as the old Go bot leaves it, with the
// libraries that bot runs on: whatsmeow's SQL store over go-sqlite3 for
// each account's session, go-sqlite3 for its master database. The import's
// tests read what it writes.
//
//	oldbot -dir DIR [-journal delete|wal|crashed] [-hold PHONE|master]
//
// It prints, as JSON, what each account's store holds, so a test can
// compare the imported session with it. "crashed" ends the process after
// the last write without closing anything, as a killed bot does: the
// stores' write-ahead logs stay beside them. With -hold, the store of
// PHONE (or, with "master", the master database) stays open, as the
// running bot holds it, until stdin closes.
package main

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	_ "github.com/mattn/go-sqlite3"
	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"
)

// account is one of the old bot's accounts.
type account struct {
	owner    int64
	phone    string
	device   uint8
	lid      string
	inMaster bool
	linked   bool
}

// The old bot's folder: its settings, a master listing two accounts (one
// linked, one logged out), and a third account only its folder shows.
var accounts = []account{
	{owner: 6069200001, phone: "6281200000100", device: 12, lid: "123456789012345", inMaster: true, linked: true},
	{owner: 6069200001, phone: "6281200000300", device: 4, inMaster: true, linked: false},
	{owner: 6069200002, phone: "6281200000200", device: 7, linked: true},
}

// written is what a linked account's store holds, for the tests.
type written struct {
	Owner          int64    `json:"owner"`
	Phone          string   `json:"phone"`
	JID            string   `json:"jid"`
	RegistrationID uint32   `json:"registration_id"`
	NoisePublic    string   `json:"noise_public"`
	IdentityPublic string   `json:"identity_public"`
	SignedPreKeyID uint32   `json:"signed_pre_key_id"`
	AdvSecret      string   `json:"adv_secret"`
	PushName       string   `json:"push_name"`
	PreKeys        []uint32 `json:"pre_keys"`
	Linked         bool     `json:"linked"`
}

const usersDir = "DB USER TELEGRAM"

func main() {
	dir := flag.String("dir", "", "the folder to write")
	journal := flag.String("journal", "wal", "delete, wal or crashed")
	hold := flag.String("hold", "", `the number whose store stays open until stdin closes ("master": the master database)`)
	flag.Parse()
	if *dir == "" {
		fail(fmt.Errorf("-dir is required"))
	}
	mode := map[string]string{"delete": "DELETE", "wal": "WAL", "crashed": "WAL"}[*journal]
	if mode == "" {
		fail(fmt.Errorf("-journal must be delete, wal or crashed, not %q", *journal))
	}
	ctx := context.Background()
	var open []io.Closer
	var held io.Closer
	var out []written
	for _, a := range accounts {
		store, w, err := writeAccount(ctx, *dir, a, mode)
		if err != nil {
			fail(err)
		}
		out = append(out, w)
		if a.phone == *hold {
			held = store
		} else {
			open = append(open, store)
		}
	}
	if err := writeConfig(*dir); err != nil {
		fail(err)
	}
	master, err := writeMaster(*dir, mode)
	if err != nil {
		fail(err)
	}
	if *hold == "master" {
		held = master
	} else {
		open = append(open, master)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail(err)
	}
	if *journal == "crashed" {
		// Killed after its last write: nothing is closed or checkpointed.
		os.Exit(0)
	}
	for _, c := range open {
		if err := c.Close(); err != nil {
			fail(err)
		}
	}
	if held != nil {
		fmt.Println("holding")
		_, _ = io.Copy(io.Discard, os.Stdin)
		_ = held.Close()
	}
}

func address(path, mode string) string {
	return fmt.Sprintf("file:%s?_foreign_keys=on&_journal_mode=%s", path, mode)
}

// writeAccount writes one account's whatsmeow store and returns it open.
func writeAccount(ctx context.Context, dir string, a account, mode string) (io.Closer, written, error) {
	folder := filepath.Join(dir, usersDir, fmt.Sprint(a.owner))
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return nil, written{}, err
	}
	path := filepath.Join(folder, fmt.Sprintf("whatsmeow-%d-%s.db", a.owner, a.phone))
	container, err := sqlstore.New(ctx, "sqlite3", address(path, mode), nil)
	if err != nil {
		return nil, written{}, err
	}
	device := container.NewDevice()
	jid := types.NewADJID(a.phone, 0, a.device)
	device.ID = &jid
	if a.lid != "" {
		device.LID = types.NewADJID(a.lid, 0, a.device)
		device.LID.Server = types.HiddenUserServer
	}
	device.Account = &waAdv.ADVSignedDeviceIdentity{
		Details:             []byte{0x08, 0x01, 0x10, 0x02},
		AccountSignatureKey: repeat(0x66, 32),
		AccountSignature:    repeat(0x55, 64),
		DeviceSignature:     repeat(0x77, 64),
	}
	device.Platform = "android"
	device.BusinessName = "Toko Budi"
	device.PushName = "Budi"
	device.LIDMigrationTimestamp = 1_700_000_000
	if err := device.Save(ctx); err != nil {
		return nil, written{}, err
	}
	preKeys, err := device.PreKeys.GetOrGenPreKeys(ctx, 3)
	if err != nil {
		return nil, written{}, err
	}
	if err := device.PreKeys.MarkPreKeysAsUploaded(ctx, preKeys[1].KeyID); err != nil {
		return nil, written{}, err
	}
	w := written{
		Owner:          a.owner,
		Phone:          a.phone,
		JID:            jid.String(),
		RegistrationID: device.RegistrationID,
		NoisePublic:    hex.EncodeToString(device.NoiseKey.Pub[:]),
		IdentityPublic: hex.EncodeToString(device.IdentityKey.Pub[:]),
		SignedPreKeyID: device.SignedPreKey.KeyID,
		AdvSecret:      hex.EncodeToString(device.AdvSecretKey),
		PushName:       device.PushName,
		Linked:         a.linked,
	}
	for _, k := range preKeys {
		w.PreKeys = append(w.PreKeys, k.KeyID)
	}
	if !a.linked {
		// Logged out: whatsmeow deletes the device.
		if err := device.Delete(ctx); err != nil {
			return nil, written{}, err
		}
	}
	// A read, so a held store keeps its read lock as a running bot does.
	if _, err := container.GetAllDevices(ctx); err != nil {
		return nil, written{}, err
	}
	return container, w, nil
}

// writeMaster writes the old bot's master database.
func writeMaster(dir, mode string) (io.Closer, error) {
	db, err := sql.Open("sqlite3", address(filepath.Join(dir, "bot_data.db"), mode))
	if err != nil {
		return nil, err
	}
	_, err = db.Exec(`
		CREATE TABLE whatsapp_accounts (id INTEGER PRIMARY KEY AUTOINCREMENT,
		  phone_number TEXT UNIQUE NOT NULL, db_path TEXT NOT NULL,
		  bot_data_db_path TEXT NOT NULL, status TEXT DEFAULT 'active',
		  created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
		  updated_at DATETIME DEFAULT CURRENT_TIMESTAMP);
		CREATE TABLE activity_logs (id INTEGER PRIMARY KEY AUTOINCREMENT,
		  action TEXT NOT NULL, description TEXT, telegram_chat_id INTEGER,
		  success INTEGER DEFAULT 1, error_message TEXT, metadata TEXT,
		  created_at DATETIME DEFAULT CURRENT_TIMESTAMP);
		INSERT INTO activity_logs (action, description, telegram_chat_id, success, error_message, created_at) VALUES
		  ('get_links', '12 grup', 6069200001, 1, NULL, '2025-03-01 10:00:00'),
		  ('leave', '3 grup', 6069200001, 0, 'rate-overlimit', '2025-03-02 11:30:00'),
		  ('pair', NULL, 6069200002, 1, NULL, '2025-03-03 09:00:00');`)
	if err != nil {
		return nil, err
	}
	for _, a := range accounts {
		if !a.inMaster {
			continue
		}
		folder := filepath.Join(usersDir, fmt.Sprint(a.owner))
		_, err = db.Exec(
			`INSERT INTO whatsapp_accounts (phone_number, db_path, bot_data_db_path) VALUES (?, ?, ?)`,
			a.phone,
			filepath.Join(folder, fmt.Sprintf("whatsmeow-%d-%s.db", a.owner, a.phone)),
			filepath.Join(folder, fmt.Sprintf("bot_data-%d-%s.db", a.owner, a.phone)),
		)
		if err != nil {
			return nil, err
		}
	}
	return db, nil
}

// writeConfig writes the old bot's settings, ids in each form it read.
func writeConfig(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "config"), 0o755); err != nil {
		return err
	}
	config := `{"telegram_token": "123456:old-token", "admin_ids": [11, "12"],
  "allowed_user_ids": [21], "user_allowed_id": 22}
`
	return os.WriteFile(filepath.Join(dir, "config", "config.json"), []byte(config), 0o600)
}

func repeat(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "oldbot:", err)
	os.Exit(1)
}
