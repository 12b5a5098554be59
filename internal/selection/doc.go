// Package selection finds the k-th smallest value of a slice in linear
// time on average (a quickselect), for the percentiles that the engine's
// metrics and the deployment analysis compute every frame or every look,
// where sorting a window for one value would cost n log n.
package selection
