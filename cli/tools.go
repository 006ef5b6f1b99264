//go:build tools

// The CLI is a main package of a dependency: importing it here keeps its requirements in go.mod and
// go.sum, so `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` works offline from the cache.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
