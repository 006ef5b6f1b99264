// pulumi-resource-random as this project builds it: the RandomBytes resource of the `random`
// provider, for running this project's program on the real Pulumi CLI where the real provider
// cannot be had.
//
// Why it exists: pulumi-random is a bridged Terraform provider. Its Go modules
// (github.com/pulumi/pulumi-random/provider/v4, and the fork of terraform-plugin-sdk it replaces)
// are not served by the Go module proxy these machines reach (403 "This module version is not
// available"; docs/REAL-CLI.md). It is not part of the npm package and never runs against a real
// tenant: a user's CLI downloads the real provider.
//
// What it implements is RandomBytes as @pulumi/random documents it (randomBytes.d.ts):
//   - type token random:index/randomBytes:RandomBytes; inputs `length` (a number, at least 1) and
//     `keepers` (a map of strings); outputs `length`, `keepers`, `base64` and `hex` (the bytes, from
//     a cryptographic generator, as standard base64 and as lowercase hex of exactly 2 x length
//     characters). The SDK marks base64 and hex secret (additionalSecretOutputs).
//   - every input forces a new resource: a change of `length` or `keepers` is a replacement,
//     create before delete; nothing is ever updated in place.
//   - its id is the constant "none" (Terraform's random_bytes has no id of its own), so a new value
//     needs new keepers, not a new id.
//   - it supports previews: a create in a preview returns the inputs with base64 and hex unknown.
//   - Read returns the state unchanged (there is no service behind it); Delete forgets.
//
// Any other type of the random package is refused with an error that says so.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/blang/semver"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Version is the version of @pulumi/random in package-lock.json, set at build time (cli/build.cjs):
// the SDK asks the engine for exactly that plugin version.
var Version = "0.0.0-dev"

const (
	randomBytesType = "random:index/randomBytes:RandomBytes"
	// Terraform's random_bytes has no id: every instance is "none".
	randomBytesID = "none"
)

// Inputs whose change forces a new resource (every input of RandomBytes).
var replaceOnChange = []resource.PropertyKey{"keepers", "length"}

func main() {
	err := provider.Main("random", func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return plugin.NewProviderServer(&randomProvider{}), nil
	})
	if err != nil {
		cmdutil.ExitError(err.Error())
	}
}

type randomProvider struct {
	plugin.UnimplementedProvider
}

func (p *randomProvider) Close() error { return nil }

func (p *randomProvider) GetPluginInfo(context.Context) (plugin.PluginInfo, error) {
	v, err := semver.ParseTolerant(Version)
	if err != nil {
		return plugin.PluginInfo{}, err
	}
	return plugin.PluginInfo{Version: &v}, nil
}

// Handshake: like the bridged provider, secrets and resource references are accepted as such.
func (p *randomProvider) Handshake(context.Context, plugin.ProviderHandshakeRequest) (*plugin.ProviderHandshakeResponse, error) {
	return &plugin.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true}, nil
}

func (p *randomProvider) GetSchema(context.Context, plugin.GetSchemaRequest) (plugin.GetSchemaResponse, error) {
	return plugin.GetSchemaResponse{Schema: []byte(`{"name":"random","resources":{}}`)}, nil
}

func (p *randomProvider) CheckConfig(_ context.Context, req plugin.CheckConfigRequest) (plugin.CheckConfigResponse, error) {
	return plugin.CheckConfigResponse{Properties: req.News}, nil
}

func (p *randomProvider) DiffConfig(context.Context, plugin.DiffConfigRequest) (plugin.DiffConfigResponse, error) {
	return plugin.DiffResult{Changes: plugin.DiffNone}, nil
}

func (p *randomProvider) Configure(context.Context, plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	return plugin.ConfigureResponse{}, nil
}

func (p *randomProvider) SignalCancellation(context.Context) error { return nil }

func refuseOtherTypes(t string) error {
	if t != randomBytesType {
		return fmt.Errorf("this build of pulumi-resource-random implements %s only, not %s; "+
			"install the real provider (pulumi plugin install resource random) to use it", randomBytesType, t)
	}
	return nil
}

func (p *randomProvider) Check(_ context.Context, req plugin.CheckRequest) (plugin.CheckResponse, error) {
	if err := refuseOtherTypes(string(req.URN.Type())); err != nil {
		return plugin.CheckResponse{}, err
	}
	var failures []plugin.CheckFailure
	length, ok := req.News["length"]
	switch {
	case !ok || length.IsNull():
		failures = append(failures, plugin.CheckFailure{Property: "length", Reason: "Missing required argument: length"})
	case length.IsComputed():
		// Known in the update.
	case !length.IsNumber():
		failures = append(failures, plugin.CheckFailure{Property: "length", Reason: "length must be a number"})
	case length.NumberValue() < 1 || length.NumberValue() != float64(int64(length.NumberValue())):
		failures = append(failures, plugin.CheckFailure{Property: "length", Reason: fmt.Sprintf("length must be a whole number of at least 1, got %v", length.NumberValue())})
	}
	if keepers, ok := req.News["keepers"]; ok && !keepers.IsNull() && !keepers.IsComputed() {
		if !keepers.IsObject() {
			failures = append(failures, plugin.CheckFailure{Property: "keepers", Reason: "keepers must be a map of strings"})
		}
	}
	return plugin.CheckResponse{Properties: req.News, Failures: failures}, nil
}

func (p *randomProvider) Diff(_ context.Context, req plugin.DiffRequest) (plugin.DiffResponse, error) {
	var changed, replaces []resource.PropertyKey
	for _, key := range replaceOnChange {
		olds, news := req.OldInputs[key], req.NewInputs[key]
		if news.ContainsUnknowns() || !sameValue(olds, news) {
			changed = append(changed, key)
			replaces = append(replaces, key)
		}
	}
	if len(changed) == 0 {
		return plugin.DiffResult{Changes: plugin.DiffNone}, nil
	}
	sort.Slice(replaces, func(i, j int) bool { return replaces[i] < replaces[j] })
	return plugin.DiffResult{Changes: plugin.DiffSome, ChangedKeys: changed, ReplaceKeys: replaces}, nil
}

// sameValue: equal values, null and absent alike.
func sameValue(a, b resource.PropertyValue) bool {
	if (a.IsNull() || a.V == nil) && (b.IsNull() || b.V == nil) {
		return true
	}
	return a.DeepEquals(b)
}

func (p *randomProvider) Create(_ context.Context, req plugin.CreateRequest) (plugin.CreateResponse, error) {
	if err := refuseOtherTypes(string(req.URN.Type())); err != nil {
		return plugin.CreateResponse{}, err
	}
	outs := req.Properties.Copy()
	if req.Preview {
		outs["base64"] = resource.MakeComputed(resource.NewStringProperty(""))
		outs["hex"] = resource.MakeComputed(resource.NewStringProperty(""))
		return plugin.CreateResponse{Properties: outs, Status: resource.StatusOK}, nil
	}
	bytes := make([]byte, int(req.Properties["length"].NumberValue()))
	if _, err := rand.Read(bytes); err != nil {
		return plugin.CreateResponse{}, err
	}
	outs["base64"] = resource.NewStringProperty(base64.StdEncoding.EncodeToString(bytes))
	outs["hex"] = resource.NewStringProperty(hex.EncodeToString(bytes))
	return plugin.CreateResponse{ID: randomBytesID, Properties: outs, Status: resource.StatusOK}, nil
}

func (p *randomProvider) Read(_ context.Context, req plugin.ReadRequest) (plugin.ReadResponse, error) {
	return plugin.ReadResponse{
		ReadResult: plugin.ReadResult{ID: req.ID, Inputs: req.Inputs, Outputs: req.State},
		Status:     resource.StatusOK,
	}, nil
}

// Update is never planned (every change replaces); an engine that asks anyway gets the new inputs
// with the old bytes, which is what a replacement-only Terraform resource would leave.
func (p *randomProvider) Update(_ context.Context, req plugin.UpdateRequest) (plugin.UpdateResponse, error) {
	outs := req.NewInputs.Copy()
	outs["base64"] = req.OldOutputs["base64"]
	outs["hex"] = req.OldOutputs["hex"]
	return plugin.UpdateResponse{Properties: outs, Status: resource.StatusOK}, nil
}

func (p *randomProvider) Delete(context.Context, plugin.DeleteRequest) (plugin.DeleteResponse, error) {
	return plugin.DeleteResponse{Status: resource.StatusOK}, nil
}
