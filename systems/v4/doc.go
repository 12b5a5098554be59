// Package v4 is the proof that Grove's component model is open: a game's
// own version, written the way a team outside Grove would write it, with no
// change to ecs or versioning.
//
// v4 brings a component no other version has, [Health] (hit points and a
// regeneration rate), and declares its own Go type for a component v3
// already has: "mass" is a float64 here ([Mass64]), a float32 in v3. The two
// layouts of "mass" differ, so v4 declares migrations with Convert
// functions between v3 and v4 ([FromV3], [ToV3]); every other component is
// matched by name and layout and moves bit for bit, and Health starts at
// v4's declared default. Entities reach v1 and v2 through v3.
//
// Its systems: "move" (v3's gravity and movement, per entity), "bounds"
// (the collided flag outside [0, 1000]²) and "regen" (hit points regrow at
// the regeneration rate, up to [MaxHP]).
//
// The package imports ecs and systems/scenario; there are no build tags.
package v4
