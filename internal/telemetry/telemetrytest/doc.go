// Package telemetrytest holds the fixture shared by the tests of
// internal/telemetry (the hand-written exposition) and of the separate
// module contrib/prometheus (the client_golang collector), so that both
// expose the same game:
//
//   - [NewEngine]: module "game" with v1 and v2 loaded, entities spawned in
//     v1 and the traffic split 70/30; the caller chooses the engine's
//     options (a fake clock, a frame budget) and the entities' positions;
//   - [Canary]: the status of a canary rollout of v2 in progress, with the
//     analysis' verdicts and health score the caller chooses.
//
// It is internal and imported only by tests; it does not import
// internal/telemetry, so that package's own tests can use it. There are no
// build tags.
package telemetrytest
