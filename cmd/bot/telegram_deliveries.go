//go:build !premerge

package main

import "github.com/cita-city/cita/channels/telegram"

// telegramDeliveries is where the Telegram channel keeps the update ids it
// acted on: the database, so that a replay after a restart acts once
// (issue 13).
func telegramDeliveries(a *app) telegram.Deliveries { return a.store }
