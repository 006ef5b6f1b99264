// pulumi-language-nodejs as this project builds it: the language host the Pulumi CLI starts to run
// a Node.js program (`runtime: nodejs` in Pulumi.yaml).
//
// Why it exists: Pulumi's own host is the Go module
// github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3, which has no tags and which the
// Go module proxy these machines reach does not serve (its version list, @latest, a branch and the
// pseudo-version of a known commit are all refused: 403 "This module version is not available";
// docs/REAL-CLI.md has the commands). The CLI itself and the SDK are served, so this host is built
// from the SDK's packages and does what Pulumi's host does for preview, up, refresh and destroy:
//
//   - Run resolves `@pulumi/pulumi/cmd/run` from the program directory with the `node` on PATH and
//     starts it with the arguments and environment Pulumi's host gives it (--monitor, --engine,
//     --organization, --project, --root-directory, --stack, --pwd, --dry-run, --parallel, the entry
//     point the engine chose, then the program arguments; PULUMI_CONFIG with keys as
//     `<namespace>:config:<name>`, PULUMI_CONFIG_SECRET_KEYS, PULUMI_NODEJS_TYPESCRIPT and
//     PULUMI_NODEJS_TSCONFIG_PATH from the runtime options, `nodeargs` before the script). Which
//     file is the program is decided there, by Pulumi's own runner, as for every user.
//   - GetRequiredPackages lists every package under a node_modules folder of the program directory
//     whose package.json has `pulumi.resource: true`, with its plugin name and version, as Pulumi's
//     host does; the engine loads those plugins.
//   - Handshake, GetPluginInfo (the CLI's version), About, RuntimeOptionsPrompts (none), Cancel.
//
// Left out, because nothing here uses them: the resource monitor proxy between the program and the
// engine (Pulumi's host forwards every call unchanged; the program is given the engine's monitor
// address itself), the file pipes for synchronous invokes (`--sync`), debugging, installing
// dependencies, code generation, packing, linking and running plugins. Those answer Unimplemented.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/shlex"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const (
	// The runner Pulumi's host starts, resolved from the program directory.
	runModule = "@pulumi/pulumi/cmd/run"
	// The runner exits with this code after it has shown the user an actionable message; the host
	// then asks the engine to stop without printing more ("bail").
	exitAfterActionableMessage = 32
)

func main() {
	tracing := flag.String("tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	runtimeName := flag.String("runtime", "nodejs", "The runtime: only nodejs is supported by this host")
	showVersion := flag.Bool("version", false, "Print the plugin version and exit")
	flag.Parse()

	if *showVersion {
		fmt.Println(version.Version)
		return
	}
	if *runtimeName != "nodejs" {
		cmdutil.Exit(fmt.Errorf("unsupported runtime %q: this build of pulumi-language-nodejs runs nodejs only", *runtimeName))
	}

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	stop := make(chan bool)
	go func() {
		<-ctx.Done()
		cancel()
		close(stop)
	}()

	// Like every plugin, exit when the engine that started us goes away.
	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, cancel); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start the health check of the engine: %w", err))
		}
	}

	host := newHost(engineAddress, *tracing)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start the language host's gRPC server: %w", err))
	}

	// The engine reads the port from our first line of output.
	fmt.Printf("%d\n", handle.Port)

	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("the language host's gRPC server stopped: %w", err))
	}
}

type nodeHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	engineAddress string
	tracing       string
	// Cancelled by the Cancel RPC: stops a running program.
	cancelCtx  context.Context
	cancelFunc context.CancelFunc
}

func newHost(engineAddress, tracing string) *nodeHost {
	ctx, cancel := context.WithCancel(context.Background())
	return &nodeHost{engineAddress: engineAddress, tracing: tracing, cancelCtx: ctx, cancelFunc: cancel}
}

func (h *nodeHost) Handshake(ctx context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	h.engineAddress = req.GetEngineAddress()
	h.mu.Unlock()
	hc, cancel := context.WithCancel(context.Background())
	if err := rpcutil.Healthcheck(hc, req.GetEngineAddress(), 5*time.Minute, cancel); err != nil {
		cancel()
		return nil, fmt.Errorf("could not start the health check of the engine: %w", err)
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *nodeHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

func (h *nodeHost) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *nodeHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancelFunc()
	return &emptypb.Empty{}, nil
}

func (h *nodeHost) About(ctx context.Context, _ *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find node on the PATH: %w", err)
	}
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return &pulumirpc.AboutResponse{Executable: node}, nil
	}
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimSpace(string(out))}, nil
}

// GetRequiredPackages: the plugins of the packages installed under the program directory.
func (h *nodeHost) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	packages, err := packagesUnder(req.GetInfo().GetProgramDirectory())
	if err != nil {
		// Like Pulumi's host: a package that cannot be read is left out, the rest are returned.
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: while looking for plugins: %v\n", err)
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

// The fields of a package.json that say whether it brings a resource plugin.
type packageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

// packagesUnder walks every directory below dir (symbolic links followed once) and reads each
// package.json found inside a node_modules folder.
func packagesUnder(dir string) ([]*pulumirpc.PackageDependency, error) {
	var packages []*pulumirpc.PackageDependency
	var errs []error
	visited := map[string]bool{}
	var walk func(dir string, inNodeModules bool)
	walk = func(dir string, inNodeModules bool) {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			errs = append(errs, err)
			return
		}
		if visited[real] {
			return
		}
		visited[real] = true
		entries, err := os.ReadDir(dir)
		if err != nil {
			errs = append(errs, err)
			return
		}
		for _, entry := range entries {
			path := filepath.Join(dir, entry.Name())
			isDir := entry.IsDir()
			if entry.Type()&fs.ModeSymlink != 0 {
				info, err := os.Stat(path)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				isDir = info.IsDir()
			}
			switch {
			case isDir:
				walk(path, inNodeModules || filepath.Base(dir) == "node_modules")
			case inNodeModules && entry.Name() == "package.json":
				dep, err := packageOf(path)
				if err != nil {
					errs = append(errs, err)
				} else if dep != nil {
					packages = append(packages, dep)
				}
			}
		}
	}
	walk(dir, false)
	return packages, errors.Join(errs...)
}

func packageOf(path string) (*pulumirpc.PackageDependency, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var info packageJSON
	if err := json.Unmarshal(text, &info); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if !info.Pulumi.Resource {
		return nil, nil
	}
	name := info.Pulumi.Name
	if name == "" {
		if !strings.HasPrefix(info.Name, "@pulumi/") {
			return nil, fmt.Errorf("%s: a third-party package must name its plugin in pulumi.name", path)
		}
		name = strings.TrimPrefix(info.Name, "@pulumi/")
	}
	ver := info.Pulumi.Version
	if ver == "" {
		ver = info.Version
	}
	if ver == "" {
		return nil, fmt.Errorf("%s: no version", path)
	}
	if !strings.HasPrefix(ver, "v") {
		ver = "v" + ver
	}
	return &pulumirpc.PackageDependency{Name: name, Kind: "resource", Version: ver, Server: info.Pulumi.Server}, nil
}

// The runtime options of Pulumi.yaml (`runtime.options`) that change how the program starts.
type nodeOptions struct {
	typescript   bool
	tsconfigPath string
	nodeargs     string
}

func parseOptions(options map[string]any) (nodeOptions, error) {
	opts := nodeOptions{typescript: true}
	if v, ok := options["typescript"]; ok {
		b, ok := v.(bool)
		if !ok {
			return opts, errors.New("typescript option must be a boolean")
		}
		opts.typescript = b
	}
	if v, ok := options["tsconfig"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("tsconfigpath option must be a string")
		}
		opts.tsconfigPath = s
	}
	if v, ok := options["nodeargs"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("nodeargs option must be a string")
		}
		opts.nodeargs = s
	}
	return opts, nil
}

// Run starts Pulumi's Node runner on the program and waits for it.
func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not find node on the $PATH: %v", err)}, nil
	}
	runner, err := resolveModule(ctx, node, info.GetProgramDirectory(), runModule)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	opts, err := parseOptions(info.GetOptions().AsMap())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	configJSON, err := configForRunner(req.GetConfig())
	if err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("failed to serialize configuration: %v", err)}, nil
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("failed to serialize configuration secret keys: %v", err)}, nil
	}

	env := append(os.Environ(), "PULUMI_CONFIG="+configJSON, "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON))
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfigPath != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfigPath)
	}
	nodeArgs, err := shlex.Split(opts.nodeargs)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	h.mu.Lock()
	engineAddress := h.engineAddress
	h.mu.Unlock()
	args := append(nodeArgs, runnerArguments(req, runner, engineAddress, h.tracing)...)

	cmdCtx, cmdCancel := context.WithCancel(h.cancelCtx)
	defer cmdCancel()
	context.AfterFunc(ctx, cmdCancel)
	cmd := exec.CommandContext(cmdCtx, node, args...)
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = env
	// Wrapped so that exec copies through a pipe: Node may switch its stdio to non-blocking mode.
	cmd.Stdout = struct{ *os.File }{os.Stdout}
	cmd.Stderr = struct{ *os.File }{os.Stderr}

	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			switch code := exitErr.ExitCode(); code {
			case exitAfterActionableMessage:
				return &pulumirpc.RunResponse{Bail: true}, nil
			case 0:
				return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited unexpectedly: %v", exitErr)}, nil
			default:
				return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}, nil
			}
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// runnerArguments: the runner's command line, flags without a value left out.
func runnerArguments(req *pulumirpc.RunRequest, runner, engineAddress, tracing string) []string {
	args := []string{runner}
	flagIfSet := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flagIfSet("monitor", req.GetMonitorAddress())
	flagIfSet("engine", engineAddress)
	flagIfSet("organization", req.GetOrganization())
	flagIfSet("project", req.GetProject())
	flagIfSet("root-directory", req.GetInfo().GetRootDirectory())
	flagIfSet("stack", req.GetStack())
	flagIfSet("pwd", req.GetInfo().GetProgramDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flagIfSet("parallel", strconv.Itoa(int(req.GetParallel())))
	flagIfSet("tracing", tracing)
	// The engine always names an entry point, "." for the program directory itself.
	args = append(args, req.GetInfo().GetEntryPoint())
	return append(args, req.GetArgs()...)
}

// configForRunner: the config as the runner reads it, keys `<namespace>:config:<name>`.
func configForRunner(values map[string]string) (string, error) {
	out := make(map[string]string, len(values))
	for k, v := range values {
		key, err := config.ParseKey(k)
		if err != nil {
			return "", err
		}
		out[key.Namespace()+":config:"+key.Name()] = v
	}
	text, err := json.Marshal(out)
	return string(text), err
}

// resolveModule asks node where a module is, from the program directory, as Pulumi's host does.
func resolveModule(ctx context.Context, node, dir, module string) (string, error) {
	script := fmt.Sprintf(`try { console.log(require.resolve(%q)); } catch (error) { `+
		`console.error(error.code === "MODULE_NOT_FOUND" ? "It looks like the Pulumi SDK has not been installed. Have you run pulumi install?" : error.message); `+
		`process.exit(1); }`, module)
	cmd := exec.CommandContext(ctx, node, "-e", script)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return "", errors.New(string(exitErr.Stderr))
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}
