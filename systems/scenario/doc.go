// Package scenario declares the four components of Grove's GameLogic
// scenario, shared by versions 1, 2 and 3: [Position] and [Velocity] (both
// a [Vec2] of float32 x, y), [Collided] (a bool) and [Mass] (a float32).
//
// The versions share one small package of components rather than declaring
// look-alike types of their own: one definition means one place for the
// documentation, and no way for two versions' "position" to drift apart by
// accident. The component model does not need it: components are matched by
// name and layout, so a version in another package (or repository) may
// declare its own types under these names, as systems/v4 does for "mass".
//
// The package imports only [github.com/grove-engine/grove/ecs]; there are no
// build tags.
package scenario
