// Package systemtest holds test helpers shared by the tests of the game-logic
// versions (systems/v1, v2, v3) and of their components (systems/scenario):
//
//   - the documentation written out: the scenario's component schemas
//     ([Schemas]) and every version's layout with its defaults
//     ([Documented], [CheckLayout]), plus those layouts built from the
//     scenario's components ([Layout]) for rows of a version a test cannot
//     import;
//   - rows: random values of any layout with float32 bit patterns a
//     migration must carry over exactly ([BitPatterns], [MigrationRows]),
//     in buffers whose spare memory holds junk ([ReusedBuffer]);
//   - migrations: bit flatteners ([Float32Bits], [RowBits]) and
//     [CheckMigrated], which runs a declared [ecs.Migration] through
//     [ecs.MigrateRows] and checks the derived step's rules;
//   - schedules: [RunFrame] runs a schedule on a world's [ecs.View] and
//     checks that each system writes only what it declares
//     ([CheckOnlyWrites]); [Runner] runs [ecs.View.For] in many chunks.
//
// It is internal and imported only by tests; the versions themselves never
// import each other or this package. There are no build tags.
package systemtest
