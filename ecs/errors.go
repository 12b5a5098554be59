package ecs

import "errors"

// Errors returned by this package. They are wrapped with details; match them
// with errors.Is.
var (
	// ErrBadComponent: a type cannot be a component, a name is malformed, or
	// a schema read from a file is inconsistent.
	ErrBadComponent = errors.New("ecs: bad component")
	// ErrBadLayout: a layout lists a component twice, a nil one, or too many.
	ErrBadLayout = errors.New("ecs: bad layout")
	// ErrLayoutMismatch: one component name with two different layouts where
	// no conversion is declared.
	ErrLayoutMismatch = errors.New("ecs: component layouts differ")
	// ErrMissingColumns: a Columns lacks a component the world or step needs.
	ErrMissingColumns = errors.New("ecs: missing columns")
	// ErrColumnLength: a Columns' columns do not all have len(Keys) rows.
	ErrColumnLength = errors.New("ecs: column length mismatch")
	// ErrBadRows: a row list is not strictly ascending or names a row out of range.
	ErrBadRows = errors.New("ecs: bad row list")
	// ErrConvert: a migration's Convert function failed, panicked, or changed
	// the keys.
	ErrConvert = errors.New("ecs: conversion failed")
)
