// Package reportcheck holds the test helpers that check an HTML report of
// internal/htmlreport in a real browser, shared by the tests of
// internal/htmlreport (a rendered sample) and of cmd/demo (the demo's
// -report files):
//
//   - [NeedChromium] skips a test where [Chromium] is missing or under
//     -short; [Screenshot] runs scripts/check-report.sh on a page (static
//     checks, headless Chromium with no console message, the charts in the
//     DOM) and returns the decoded screenshot; [Command] is the bare run,
//     for a test that expects the script to fail.
//   - Pixels: [Hex] parses a palette colour, [OverWhite] is a colour drawn
//     with some opacity over the white page, [Near] compares colours with
//     a tolerance.
//   - [ShrinkPNG] encodes a screenshot for the repository (the READMEs'
//     pictures), within a size limit.
//
// It is internal and imported only by tests. There are no build tags.
package reportcheck
