// Package devserver runs a real, single-process Temporal server (frontend,
// history, matching and worker services) on 127.0.0.1 with SQLite persistence.
//
// It is the embedded default of `vigil up`. Compiling it is expensive (the
// Temporal server is large), so only cmd/vigil and the end-to-end tests import
// this package; workflow unit tests use the SDK's test environment instead.
package devserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

// Config configures the embedded server. The zero value is not usable: DataDir
// is required. Every other field has a working default.
type Config struct {
	// DataDir holds the SQLite database (temporal.db) and the server log
	// (temporal.log). Required.
	DataDir string
	// IP is the address every service binds to. Default 127.0.0.1.
	IP string
	// Port is the frontend gRPC port. Zero picks a free port.
	Port int
	// Namespace is created if missing. Default "default".
	Namespace string
	// UIPort serves the Temporal Web UI when the binary is built with the
	// temporalui tag. Zero picks a free port; -1 disables the UI.
	UIPort int
	// LogLevel of the server log file. Default "warn".
	LogLevel string
}

// Server is a running embedded Temporal server.
type Server struct {
	server    temporal.Server
	ui        uiServer
	frontend  string
	uiAddress string
	namespace string
}

// Start builds and starts the server. It returns once the frontend accepts
// connections. Stop must be called to release ports and the database.
func Start(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(cfg.IP, 4) // frontend HTTP, history, matching, worker
	if err != nil {
		return nil, err
	}
	sqlConf, err := setupSQLite(cfg)
	if err != nil {
		return nil, err
	}
	srv, err := newServer(cfg, serverConfig(cfg, ports, sqlConf), ports)
	if err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("devserver: start server: %w", err)
	}
	frontend := cfg.hostPort(cfg.Port)
	s := &Server{server: srv, frontend: frontend, namespace: cfg.Namespace}
	if cfg.UIPort >= 0 {
		if cfg.UIPort == 0 {
			if cfg.UIPort, err = freePort(cfg.IP); err != nil {
				s.Stop()
				return nil, err
			}
		}
		s.ui, s.uiAddress = startUI(cfg.IP, cfg.UIPort, frontend)
	}
	return s, nil
}

// withDefaults fills in cfg's defaults, creates its data directory and
// picks its frontend port when none is given.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.DataDir == "" {
		return cfg, errors.New("devserver: data directory is required")
	}
	if cfg.IP == "" {
		cfg.IP = "127.0.0.1"
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "warn"
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return cfg, fmt.Errorf("devserver: create data directory: %w", err)
	}
	var err error
	if cfg.Port == 0 {
		cfg.Port, err = freePort(cfg.IP)
	}
	return cfg, err
}

func (cfg Config) hostPort(p int) string { return net.JoinHostPort(cfg.IP, strconv.Itoa(p)) }

// setupSQLite creates the database and its schema on the first start, and
// the namespace with Vigil's search attributes.
func setupSQLite(cfg Config) (*config.SQL, error) {
	sqlConf := &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: filepath.Join(cfg.DataDir, "temporal.db"),
		// Plain names become _pragma parameters in the sqlite plugin.
		ConnectAttributes: map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "normal",
		},
	}
	if _, statErr := os.Stat(sqlConf.DatabaseName); errors.Is(statErr, os.ErrNotExist) {
		if err := sqliteschema.SetupSchema(sqlConf); err != nil {
			return nil, fmt.Errorf("devserver: set up schema: %w", err)
		}
	}
	nsConf, err := sqliteschema.NewNamespaceConfig("active", cfg.Namespace, false, map[string]enumspb.IndexedValueType{
		"VigilCase": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"VigilSite": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	})
	if err != nil {
		return nil, fmt.Errorf("devserver: namespace config: %w", err)
	}
	if err := sqliteschema.CreateNamespaces(sqlConf, nsConf); err != nil {
		return nil, fmt.Errorf("devserver: create namespace: %w", err)
	}
	return sqlConf, nil
}

// serverConfig is the server's static configuration: one history shard,
// SQLite persistence and visibility, no archival, every service on cfg.IP
// (the frontend on cfg.Port and ports[0], history, matching and worker on
// ports[1:4]).
func serverConfig(cfg Config, ports []int, sqlConf *config.SQL) *config.Config {
	frontend := cfg.hostPort(cfg.Port)
	conf := &config.Config{}
	conf.Global.Membership.MaxJoinDuration = 30e9
	conf.Global.Membership.BroadcastAddress = cfg.IP
	conf.Persistence.DefaultStore = "sqlite"
	conf.Persistence.VisibilityStore = "sqlite"
	conf.Persistence.NumHistoryShards = 1
	conf.Persistence.DataStores = map[string]config.DataStore{"sqlite": {SQL: sqlConf}}
	conf.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        "active",
		CurrentClusterName:       "active",
		ClusterInformation: map[string]cluster.ClusterInformation{
			"active": {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             frontend,
				HTTPAddress:            cfg.hostPort(ports[0]),
				ClusterID:              "vigil-embedded",
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	service := func(grpcPort, httpPort int) config.Service {
		var s config.Service
		s.RPC.GRPCPort = grpcPort
		s.RPC.HTTPPort = httpPort
		s.RPC.BindOnIP = cfg.IP
		return s
	}
	conf.Services = map[string]config.Service{
		"frontend": service(cfg.Port, ports[0]),
		"history":  service(ports[1], 0),
		"matching": service(ports[2], 0),
		"worker":   service(ports[3], 0),
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = frontend
	return conf
}

// newServer builds the server of conf, logging to temporal.log in the data
// directory.
func newServer(cfg Config, conf *config.Config, ports []int) (temporal.Server, error) {
	logger := tlog.NewZapLogger(tlog.BuildZapLogger(tlog.Config{
		Level:      cfg.LogLevel,
		OutputFile: filepath.Join(cfg.DataDir, "temporal.log"),
		Format:     "json",
	}))
	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("devserver: authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("devserver: claim mapper: %w", err)
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
			primitives.FrontendService: static.SingleLocalHost(cfg.hostPort(cfg.Port)),
			primitives.HistoryService:  static.SingleLocalHost(cfg.hostPort(ports[1])),
			primitives.MatchingService: static.SingleLocalHost(cfg.hostPort(ports[2])),
			primitives.WorkerService:   static.SingleLocalHost(cfg.hostPort(ports[3])),
		}),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dynamicConfig()),
	)
	if err != nil {
		return nil, fmt.Errorf("devserver: build server: %w", err)
	}
	return srv, nil
}

// dynamicConfig tunes the server. A one-shard dev server with production
// defaults polls its queues slowly; these values cut a sequential activity
// from ~100 ms to ~10 ms. The server's version check calls
// version-info.temporal.io on start: a DNS lookup and an outbound connection
// that an investigation tool must never make.
func dynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		dynamicconfig.EnableServerVersionCheck.Key():                     false,
		dynamicconfig.TransferProcessorMaxPollRPS.Key():                  1000,
		dynamicconfig.TimerProcessorMaxPollRPS.Key():                     1000,
		dynamicconfig.VisibilityProcessorMaxPollRPS.Key():                1000,
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():           1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key():          1,
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():                 8096,
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
	}
}

// FrontendAddress is the host:port of the frontend gRPC service.
func (s *Server) FrontendAddress() string { return s.frontend }

// Namespace is the namespace the server was started with.
func (s *Server) Namespace() string { return s.namespace }

// UIURL is the Temporal Web UI's URL, or "" when the binary was built
// without the UI (build tag temporalui).
func (s *Server) UIURL() string {
	if s.uiAddress == "" {
		return ""
	}
	return "http://" + s.uiAddress
}

// Stop stops the UI and the server. It is safe to call once.
func (s *Server) Stop() {
	if s.ui != nil {
		s.ui.Stop()
	}
	s.server.Stop()
}

type uiServer interface{ Stop() }

// freePorts picks n free ports on ip.
func freePorts(ip string, n int) ([]int, error) {
	ports := make([]int, n)
	for i := range ports {
		var err error
		if ports[i], err = freePort(ip); err != nil {
			return nil, err
		}
	}
	return ports, nil
}

func freePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("devserver: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
