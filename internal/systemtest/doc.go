// Package systemtest holds test helpers shared by the tests of the game-logic
// versions (systems/v1, v2, v3): every version's documented column set,
// float32 bit patterns a migration must carry over exactly, and random rows
// in a version's layout. It is internal and imported only by tests; the
// versions themselves never import each other or this package.
package systemtest
