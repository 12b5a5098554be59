module github.com/grove-engine/grove

go 1.26

require (
	github.com/klauspost/cpuid/v2 v2.3.0
	github.com/mlange-42/arche v0.15.3
	github.com/stretchr/testify v1.10.0
	golang.org/x/sys v0.38.0
)

require (
	github.com/davecgh/go-spew v1.1.1 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
