//go:build premerge

package main

// TODO(merge): delete this file once helpers surge (keyring.Cached and
// Admit) and durable (storage.Store.FirstDelivery and ForgetDelivery) are
// on main. It lets the telegram branch build and test before that, with
// -tags premerge: a keyring that admits everyone at once, and the update
// ids kept in memory.

import (
	"context"
	"time"

	"github.com/cita-city/cita/channels/telegram"
	"github.com/cita-city/cita/scheduling"
)

func (k *keyring) Cached(string, time.Time) ([]scheduling.Identity, bool) { return nil, false }

func (k *keyring) Admit(_ context.Context, address string, now time.Time) ([]scheduling.Identity, error) {
	return k.Identities(address, now)
}

func telegramDeliveries(*app) telegram.Deliveries { return nil }
