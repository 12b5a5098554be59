package main

import (
	"bytes"
	"fmt"
	"math"
	"os"

	"github.com/grove-engine/grove/versioning/persist"
)

// format is a representation of a snapshot.
type format string

const (
	formatBin  format = "bin"
	formatXML  format = "xml"
	formatJSON format = "json"
)

// sniff recognises a snapshot's format from its first bytes.
func sniff(data []byte) (format, bool) {
	if len(data) >= 4 && data[0] == 0x89 && string(data[1:4]) == "GRV" {
		return formatBin, true
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	switch {
	case bytes.HasPrefix(trimmed, []byte("<")):
		return formatXML, true
	case bytes.HasPrefix(trimmed, []byte("{")):
		return formatJSON, true
	}
	return "", false
}

// source is a loaded snapshot and where it came from.
type source struct {
	file   *persist.File
	format format
	size   int64
	// dir and save are set when the snapshot was loaded from a save
	// directory.
	dir   *persist.Store
	saves []persist.SaveInfo
}

// load reads a snapshot file (any format) or the save at or before frame
// of a save directory (the newest with frame = MaxUint64).
func load(path string, frame uint64) (*source, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return loadDir(path, frame)
	}
	if frame != math.MaxUint64 {
		return nil, usagef("-frame applies to a save directory, and %s is a file", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return loadBytes(path, data)
}

func loadBytes(path string, data []byte) (*source, error) {
	f, ok := sniff(data)
	if !ok {
		return nil, fmt.Errorf("%s: not a Grove snapshot (neither the binary form, XML nor JSON)", path)
	}
	var file *persist.File
	var err error
	switch f {
	case formatBin:
		file, err = persist.ReadFile(data)
	case formatXML:
		file, err = persist.ReadXML(bytes.NewReader(data))
	case formatJSON:
		file, err = persist.ReadJSON(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &source{file: file, format: f, size: int64(len(data))}, nil
}

func loadDir(dir string, frame uint64) (*source, error) {
	st, err := persist.NewStore(dir)
	if err != nil {
		return nil, err
	}
	saves, err := st.Saves()
	if err != nil {
		return nil, err
	}
	if len(saves) == 0 {
		return nil, fmt.Errorf("%s: no saves in this directory", dir)
	}
	f, err := st.LoadAt(frame)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return &source{file: f, format: formatBin, dir: st, saves: saves}, nil
}
