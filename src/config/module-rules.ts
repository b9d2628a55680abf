// The directives tswsgi does not implement, of every module Debian's apache2 and mod_wsgi ship
// (names as `apache2 -L` lists them with every mods-available/*.load loaded). Each is either
// accepted without effect, because it cannot change what a WSGI site returns or how safe it is
// (configtest warns once per name, saying why), or refused, because ignoring it would make the
// site less safe or answer differently in a way users rely on (an error saying why).
//
// A directive word is `Name` or `Name:shape`; the shape checks the arguments as Apache does, so a
// typo stays an error:
//   0, 1, 1-2, 2+     how many arguments
//   flag              On or Off
//   A|B|C             one argument, one of these words (any case)
//   @check            a function of CHECKS below, which may also refuse some values
// Refused directives need no shape: they are an error whatever their arguments.

import type { Context } from './directives';

export type Tier = 'accepted' | 'refused';

export interface TierGroup {
  tier: Tier;
  why: string;
  /** Where Apache allows them, when it restricts them to the main server (anywhere otherwise). */
  contexts?: readonly Context[];
  /** `Name[:shape]` words. */
  directives: string;
}

export interface ModuleRules {
  name: string;
  source: string;
  groups: TierGroup[];
}

/** What a check makes of a directive's arguments: fine, a syntax error, or (for some values) a refusal. */
export type CheckResult = { error: string } | { refuse: string } | null;

const accept = (why: string, directives: string): TierGroup => ({ tier: 'accepted', why, directives });
const refuse = (why: string, directives: string): TierGroup => ({ tier: 'refused', why, directives });
/** Accepted in the main server only, as Apache's process-wide directives (mod_wsgi's check GLOBAL_ONLY). */
const acceptGlobal = (why: string, directives: string): TierGroup => ({ ...accept(why, directives), contexts: ['server'] });
const mod = (name: string, source: string, ...groups: TierGroup[]): ModuleRules => ({ name, source, groups });

const AUTH = 'tswsgi does not implement this authentication or authorization module, and ignoring it would serve what it protects to anyone';
const PROXY = 'tswsgi proxies nothing, so the requests it would forward would be answered by tswsgi instead';
const CONTENT = 'it changes responses, which tswsgi would send unchanged';
const TLS = 'tswsgi has no TLS yet: terminate TLS in front of it (a reverse proxy or load balancer)';
const CGI = 'tswsgi runs no CGI scripts, and would serve them as files';
const NO_CGI = 'tswsgi runs no CGI scripts (URLs under ScriptAlias answer 403 where Apache would run one)';
const MPM = 'tswsgi sizes its own processes (StartServers, ThreadsPerChild, WSGIDaemonProcess); Apache\'s process manager tuning does not apply';
const NO_LISTINGS = 'tswsgi lists no directories';
const NO_COMPRESSION = 'tswsgi sends responses uncompressed';
const NO_NEGOTIATION = 'tswsgi serves files as they are named, without language negotiation';
const TLS_SETTINGS = 'it only configures TLS, which SSLEngine On (refused) would enable';
const NO_OP = 'it tunes Apache internals that tswsgi does not have';

/** Handlers whose absence changes no answer a user relies on: their URLs are answered as any other (a status page's usually 404). */
const HARMLESS_HANDLERS = new Set(['server-status', 'server-info', 'type-map', 'balancer-manager']);

/** Why a handler is refused, for those whose reason is not "tswsgi would serve the files as they are". */
const STATIC_HANDLER = 'under a WSGIScriptAlias mount it takes requests away from the application in Apache, and tswsgi would hand them to it';
const HANDLER_REFUSALS: Record<string, string> = { 'none': STATIC_HANDLER, 'default-handler': STATIC_HANDLER };

export const COMPRESSION_FILTERS: ReadonlySet<string> = new Set(['deflate', 'brotli_compress']);

/** WSGIAcceptMutex's mechanisms, as mod_wsgi lists them on Linux. */
const MUTEXES = ['default', 'flock', 'fcntl', 'sysvsem', 'posixsem', 'pthread'];

/** One argument, one of `words` (any case); otherwise the directive's own message, or the usual one. */
function oneOf(words: readonly string[], message?: (value: string) => string) {
  return (name: string, args: string[]): CheckResult => (args.length === 1 && words.some((w) => w.toLowerCase() === args[0]!.toLowerCase()) ? null
    : { error: message?.(args[0] ?? '') ?? `${name} must be one of: ${words.join(' | ')}` });
}

/** One of `words`, accepted only when it is one of `allowed`: the others are refused. */
function only(allowed: readonly string[], words: readonly string[], why: string) {
  const syntax = oneOf(words);
  return (name: string, args: string[]): CheckResult =>
    syntax(name, args) ?? (allowed.some((w) => w.toLowerCase() === args[0]!.toLowerCase()) ? null : { refuse: why });
}

/** At least `min` arguments, with Apache's message. */
function atLeast(name: string, args: string[], min: number): CheckResult {
  return args.length >= min ? null : { error: `${name} ${countWords(min, Infinity)}` };
}

/** Keyword options as IndexOptions takes them: [+|-]word, or word=value for those listed with '='. */
function keywords(words: readonly string[], message: (word: string) => string) {
  const known = new Set(words.map((w) => w.toLowerCase()));
  return (_name: string, args: string[]): CheckResult => {
    if (args.length === 0) return { error: message('') };
    for (const arg of args) {
      const word = arg.replace(/^[+-]/, '').toLowerCase();
      const eq = word.indexOf('=');
      if (!known.has(eq < 0 ? word : word.slice(0, eq + 1))) return { error: message(arg) };
    }
    return null;
  };
}

export const CHECKS: Record<string, (name: string, args: string[]) => CheckResult> = {
  handler: (name, args) => {
    const syntax = name.toLowerCase() === 'sethandler' ? (args.length === 1 ? null : { error: `${name} ${countWords(1, 1)}` }) : atLeast(name, args, 2);
    return syntax ?? (HARMLESS_HANDLERS.has(args[0]!.toLowerCase()) ? null
      : { refuse: HANDLER_REFUSALS[args[0]!.toLowerCase()] ?? `tswsgi does not run the '${args[0]}' handler, and would serve what it handles as plain files` });
  },
  compression: (name, args) => {
    const syntax = atLeast(name, args, name.toLowerCase() === 'setoutputfilter' ? 1 : 2);
    if (syntax) return syntax;
    const filters = args[0]!.split(';').filter(Boolean);
    return filters.every((f) => COMPRESSION_FILTERS.has(f.toLowerCase())) ? null
      : { refuse: `tswsgi applies no output filters but compression (${NO_COMPRESSION}); '${args[0]}' would change responses` };
  },
  // Red Hat's stock conf.d/userdir.conf says `UserDir disabled`: every other form maps ~user URLs.
  userdir: (name, args) => (args.length === 0 ? { error: `${name} requires an argument.` }
    : args.length === 1 && /^disabled$/i.test(args[0]!) ? null : { refuse: 'tswsgi does not map ~user URLs, and would answer them differently' }),
  // Debian's apache2.conf names the default; other names would leave files tswsgi does not look for unread.
  accessfilename: (name, args) => atLeast(name, args, 1) ?? (args.length === 1 && args[0] === '.htaccess' ? null
    : { refuse: 'tswsgi reads access files named .htaccess only, and would skip what the files named here say' }),
  hostnamelookups: only(['Off'], ['On', 'Off', 'Double'], 'tswsgi does not look up client host names, so REMOTE_HOST would be missing from the environ'),
  usecanonicalname: only(['Off'], ['On', 'Off', 'DNS'], 'tswsgi takes SERVER_NAME from the request\'s Host, as with Off'),
  usecanonicalphysicalport: only(['Off'], ['On', 'Off'], 'tswsgi takes SERVER_PORT from the request, as with Off'),
  stricthostcheck: only(['Off'], ['On', 'Off'], 'tswsgi answers requests for any host name, as with Off'),
  // On, Optional, or the addresses to enable TLS on: all but Off need TLS.
  sslengine: (name, args) => atLeast(name, args, 1) ?? (args.length === 1 && /^off$/i.test(args[0]!) ? null : { refuse: TLS }),
  errorOverride: only(['Off'], ['Off', 'On'], 'tswsgi sends the application\'s own error pages'),
  indexoptions: keywords(['FancyIndexing', 'FoldersFirst', 'HTMLTable', 'IconsAreLinks', 'IgnoreCase', 'IgnoreClient', 'ScanHTMLTitles',
    'ShowForbidden', 'SuppressColumnSorting', 'SuppressDescription', 'SuppressHTMLPreamble', 'SuppressIcon', 'SuppressLastModified',
    'SuppressRules', 'SuppressSize', 'TrackModified', 'VersionSort', 'XHTML', 'UseOldDateFormat', 'AddAltClass', 'None',
    'Charset=', 'DescriptionWidth=', 'IconHeight=', 'IconWidth=', 'NameWidth=', 'Type='], () => 'Invalid directory indexing option'),
  forcelanguagepriority: keywords(['None', 'Prefer', 'Fallback'], (w) => `Invalid ForceLanguagePriority option ${w}`),
  fileetag: keywords(['All', 'None', 'INode', 'MTime', 'Size', 'Digest'], (w) => `Unknown keyword '${w}' for FileETag`),
  acceptmutex: oneOf(MUTEXES, (value) => `Accept mutex lock mechanism '${value}' is invalid. Valid accept mutex mechanisms for this platform are: ${MUTEXES.join(', ')}.`),
  serversignature: oneOf(['On', 'Off', 'EMail'], () => 'ServerSignature: use one of: off | on | email'),
  // Apache 2.4 refuses it whatever its argument.
  fancyindexing: () => ({ error: 'The FancyIndexing directive is no longer supported. Use IndexOptions FancyIndexing.' }),
  hashseed: (name, args) => (args.length === 1 && /^(random|\d{1,10})$/.test(args[0]!) && (args[0] === 'random' || Number(args[0]) <= 4294967295) ? null
    : { error: `${name} must be "random" or an integer in range [0; 4294967295]` }),
};

/** Every module Debian's apache2 ships, and mod_wsgi: the directives of each that the directive table does not implement. */
export const MODULE_RULES: readonly ModuleRules[] = [
  mod('core_module', 'core.c',
    accept('tswsgi reads .htaccess files, Apache\'s default name', 'AccessFileName:@accessfilename'),
    acceptGlobal(MPM, 'MaxConnectionsPerChild:1 MaxRequestsPerChild:1 MaxMemFree:1 ThreadStackSize:1 ScoreBoardFile:1 CoreDumpDirectory:1'),
    accept(NO_OP, 'AcceptFilter:2 EnableMMAP:flag EnableSendfile:flag ExtendedStatus:flag FlushMaxPipelined:1 FlushMaxThreshold:1 ' +
      'ReadBufferSize:1 SeeRequestTail:flag LimitInternalRecursion:1-2 NameVirtualHost:1 ContentDigest:flag DefaultType:1 ' +
      'RLimitCPU:1-2 RLimitMEM:1-2 RLimitNPROC:1-2 LimitXMLRequestBody:1'),
    accept('tswsgi\'s own error pages carry no signature line', 'ServerSignature:@serversignature'),
    accept('tswsgi passes every method to the application', 'RegisterHttpMethod:1+'),
    accept('tswsgi speaks HTTP/1.1 only', 'Protocols:1+ ProtocolsHonorOrder:flag'),
    accept('tswsgi\'s static files carry ETags of their own', 'FileETag:@fileetag'),
    accept('tswsgi does not look up client host names, as with Off', 'HostnameLookups:@hostnamelookups'),
    accept('tswsgi takes the server name and port from the request, as with Off', 'UseCanonicalName:@usecanonicalname UseCanonicalPhysicalPort:@usecanonicalphysicalport'),
    accept('tswsgi answers requests for any host name, as with Off', 'StrictHostCheck:@stricthostcheck'),
    refuse('tswsgi does not implement it yet, and its responses would differ', 'AcceptPathInfo AllowEncodedSlashes ' +
      'ForceType MaxRangeOverlaps MaxRangeReversals MaxRanges MergeSlashes MergeTrailers QualifyRedirectURL RegexDefaultOptions ServerPath ' +
      'SetInputFilter Protocol <If <ElseIf <Else <IfDirective <IfSection'),
    refuse(AUTH, '<Limit <LimitExcept AllowOverrideList CGIPassAuth'),
    refuse(CGI, 'CGIVar'),
    refuse('the configuration asks to fail here', 'Error'),
    refuse('Apache 2.4 has no Port directive: use Listen', 'Port')),
  mod('log_config_module', 'mod_log_config.c',
    accept('tswsgi writes each access log line when the request ends', 'BufferedLogs:flag')),
  mod('logio_module', 'mod_logio.c', accept('tswsgi\'s %^FB is not available', 'LogIOTrackTTFB:flag')),
  mod('unixd_module', 'mod_unixd.c',
    accept(CGI, 'Suexec:flag'),
    refuse('tswsgi does not chroot, and the processes would see the whole file system', 'ChrootDir')),
  mod('so_module', 'mod_so.c', accept('tswsgi loads no shared objects', 'LoadFile:1+')),
  mod('watchdog_module', 'mod_watchdog.c', accept(NO_OP, 'WatchdogInterval:1')),
  // <IfVersion>, its only directive, is evaluated while reading (if-version.ts).
  mod('version_module', 'mod_version.c'),
  // Red Hat builds it in its httpd; it has no directives.
  mod('systemd_module', 'mod_systemd.c'),
  ...(['mpm_event_module:event.c', 'mpm_worker_module:worker.c', 'mpm_prefork_module:prefork.c'].map((entry) => {
    const [name, source] = entry.split(':') as [string, string];
    const threads = name === 'mpm_prefork_module' ? 'MinSpareServers:1 MaxSpareServers:1' : 'MinSpareThreads:1 MaxSpareThreads:1 ThreadLimit:1';
    return mod(name, source, acceptGlobal(MPM, `${threads} ${name === 'mpm_event_module' ? 'AsyncRequestWorkerFactor:1 ' : ''}` +
      'GracefulShutdownTimeout:1 ListenBacklog:1 ListenCoresBucketsRatio:1 ListenTCPDeferAccept:1 ReceiveBufferSize:1 SendBufferSize:1'));
  })),

  mod('wsgi_module', 'mod_wsgi.c',
    acceptGlobal('tswsgi lets applications register signal handlers (mod_wsgi\'s On ignores them with a logged warning)', 'WSGIRestrictSignal:Off|On'),
    acceptGlobal('sys.stdout of tswsgi\'s workers writes to the error log, as mod_wsgi\'s Off', 'WSGIRestrictStdout:Off|On'),
    acceptGlobal('sys.stdin of tswsgi\'s workers raises on use, as mod_wsgi\'s On', 'WSGIRestrictStdin:Off|On'),
    acceptGlobal('tswsgi does not set PYTHON_EGG_CACHE: set it in tswsgi\'s environment', 'WSGIPythonEggs:1'),
    acceptGlobal('tswsgi does not pass it to Python: set PYTHONHASHSEED in tswsgi\'s environment', 'WSGIPythonHashSeed:@hashseed'),
    acceptGlobal('tswsgi does not pass it to Python: set PYTHONWARNINGS in tswsgi\'s environment', 'WSGIPythonWarnings:1'),
    acceptGlobal('tswsgi does not pass it to Python: set PYTHONDONTWRITEBYTECODE in tswsgi\'s environment', 'WSGIDontWriteBytecode:Off|On'),
    acceptGlobal('tswsgi\'s workers take connections without an accept mutex', 'WSGIAcceptMutex:@acceptmutex WSGISocketRotation:Off|On'),
    acceptGlobal('tswsgi always lets interpreters end normally, as mod_wsgi\'s On', 'WSGIDestroyInterpreter:Off|On'),
    acceptGlobal('tswsgi names script modules by their full path, as mod_wsgi\'s On', 'WSGICaseSensitivity:Off|On'),
    acceptGlobal('tswsgi has no extra debug logging', 'WSGIVerboseDebugging:Off|On'),
    acceptGlobal('tswsgi never runs Python in its own process, as mod_wsgi\'s On', 'WSGILazyInitialization:Off|On'),
    accept('tswsgi sends file_wrapper responses itself', 'WSGIEnableSendfile:Off|On'),
    accept('every request resets a daemon\'s inactivity-timeout in tswsgi', 'WSGIIgnoreActivity:Off|On'),
    accept('tswsgi has no embedded mode, so no Apache request object or server metrics to pass', 'WSGIPassApacheRequest:Off|On WSGIServerMetrics:Off|On'),
    accept('tswsgi does not wrap applications with the New Relic agent', 'WSGINewRelicConfigFile:1 WSGINewRelicEnvironment:1'),
    accept('mod_wsgi 6 tuning that tswsgi\'s interpreters do not have', 'WSGIPerInterpreterGIL:Off|On WSGIFreeThreading:Off|On WSGISwitchInterval:1 ' +
      'WSGITelemetryService:1+ WSGITelemetryOptions:1+ WSGISlowRequests:1+'),
    accept('only WSGIAuthGroupScript (refused) would use it', 'WSGIGroupAuthoritative:Off|On'),
    accept('tswsgi sends the application\'s own error pages, as with Off', 'WSGIErrorOverride:@errorOverride'),
    refuse(AUTH, 'WSGIAccessScript WSGIAuthUserScript WSGIAuthGroupScript'),
    refuse('tswsgi does not run dispatch or handler scripts yet, so requests would go to other applications', 'WSGIDispatchScript WSGIHandlerScript <WSGIInterpreterOptions')),

  mod('alias_module', 'mod_alias.c',
    refuse('tswsgi does not implement redirects yet, and would answer these URLs itself', 'Redirect RedirectMatch RedirectPermanent RedirectTemp RedirectRelative AliasPreservePath')),
  mod('mime_module', 'mod_mime.c',
    accept('tswsgi\'s static files carry no charset, language or encoding from the file name', 'AddCharset:2+ AddLanguage:2+ AddEncoding:2+ DefaultLanguage:1 ' +
      'RemoveCharset:1+ RemoveLanguage:1+ RemoveEncoding:1+ RemoveType:1+ RemoveHandler:1+ RemoveOutputFilter:1+ RemoveInputFilter:1+ ModMimeUsePathInfo:flag MultiviewsMatch:1+'),
    refuse(CONTENT, 'AddInputFilter')),
  mod('dir_module', 'mod_dir.c', refuse('tswsgi does not implement it yet, and would answer directory URLs differently', 'DirectorySlash DirectoryIndexRedirect DirectoryCheckHandler FallbackResource')),
  mod('env_module', 'mod_env.c'),
  mod('setenvif_module', 'mod_setenvif.c',
    refuse('tswsgi does not evaluate expressions yet, and the application\'s environ would differ', 'SetEnvIfExpr')),
  mod('authz_core_module', 'mod_authz_core.c', refuse(AUTH, '<AuthzProviderAlias AuthzSendForbiddenOnFailure')),
  mod('authz_host_module', 'mod_authz_host.c'),

  mod('autoindex_module', 'mod_autoindex.c', accept(NO_LISTINGS, 'AddAlt:2+ AddAltByEncoding:2+ AddAltByType:2+ AddDescription:2+ AddIcon:2+ ' +
    'AddIconByEncoding:2+ AddIconByType:2+ DefaultIcon:1 FancyIndexing:@fancyindexing HeaderName:1 IndexHeadInsert:1 IndexIgnore:1+ IndexIgnoreReset:flag ' +
    'IndexOptions:@indexoptions IndexOrderDefault:2 IndexStyleSheet:1 ReadmeName:1')),
  mod('negotiation_module', 'mod_negotiation.c', accept(NO_NEGOTIATION, 'CacheNegotiatedDocs:flag LanguagePriority:1+ ForceLanguagePriority:@forcelanguagepriority')),
  mod('deflate_module', 'mod_deflate.c', accept(NO_COMPRESSION, 'DeflateAlterEtag:1 DeflateBufferSize:1 DeflateCompressionLevel:1 DeflateFilterNote:1-2 ' +
    'DeflateInflateLimitRequestBody:1 DeflateInflateRatioBurst:1 DeflateInflateRatioLimit:1 DeflateMemLevel:1 DeflateWindowSize:1')),
  mod('brotli_module', 'mod_brotli.c', accept(NO_COMPRESSION, 'BrotliAlterETag:1 BrotliCompressionMaxInputBlock:1 BrotliCompressionQuality:1 ' +
    'BrotliCompressionWindow:1 BrotliFilterNote:1-2')),
  mod('filter_module', 'mod_filter.c',
    accept(NO_COMPRESSION, 'AddOutputFilterByType:@compression'),
    accept('tswsgi has no filters to trace', 'FilterTrace:2'),
    refuse(CONTENT, 'FilterChain FilterDeclare FilterProtocol FilterProvider')),
  mod('status_module', 'mod_status.c'),
  mod('ssl_module', 'mod_ssl.c',
    accept(TLS_SETTINGS, 'SSLRandomSeed:2-3 SSLSessionCache:1 SSLSessionCacheTimeout:1 SSLPassPhraseDialog:1 SSLCipherSuite:1-2 SSLProtocol:1+ ' +
      'SSLHonorCipherOrder:flag SSLCompression:flag SSLSessionTickets:flag SSLStaplingCache:1 SSLUseStapling:flag SSLCryptoDevice:1 ' +
      'SSLInsecureRenegotiation:flag SSLStrictSNIVHostCheck:flag SSLOpenSSLConfCmd:2 SSLCertificateFile:1 SSLCertificateKeyFile:1 ' +
      'SSLCertificateChainFile:1 SSLCACertificateFile:1 SSLCACertificatePath:1 SSLEngine:@sslengine'),
    refuse(TLS, 'SSLCADNRequestFile SSLCADNRequestPath SSLCARevocationCheck SSLCARevocationFile SSLCARevocationPath SSLFIPS SSLLog SSLLogLevel ' +
      'SSLOCSPDefaultResponder SSLOCSPEnable SSLOCSPNoVerify SSLOCSPOverrideResponder SSLOCSPProxyURL SSLOCSPResponderCertificateFile ' +
      'SSLOCSPResponderTimeout SSLOCSPResponseMaxAge SSLOCSPResponseTimeSkew SSLOCSPUseRequestNonce SSLOptions SSLProxyCACertificateFile ' +
      'SSLProxyCACertificatePath SSLProxyCARevocationCheck SSLProxyCARevocationFile SSLProxyCARevocationPath SSLProxyCheckPeerCN ' +
      'SSLProxyCheckPeerExpire SSLProxyCheckPeerName SSLProxyCipherSuite SSLProxyEngine SSLProxyMachineCertificateChainFile ' +
      'SSLProxyMachineCertificateFile SSLProxyMachineCertificatePath SSLProxyProtocol SSLProxyVerify SSLProxyVerifyDepth SSLRenegBufferSize ' +
      'SSLSessionTicketKeyFile SSLSRPUnknownUserSeed SSLSRPVerifierFile SSLStaplingErrorCacheTimeout SSLStaplingFakeTryLater ' +
      'SSLStaplingForceURL SSLStaplingResponderTimeout SSLStaplingResponseMaxAge SSLStaplingResponseTimeSkew SSLStaplingReturnResponderErrors ' +
      'SSLStaplingStandardCacheTimeout SSLVHostSNIPolicy'),
    refuse(AUTH, 'SSLRequire SSLRequireSSL SSLVerifyClient SSLVerifyDepth SSLUserName')),
  mod('md_module', 'mod_md.c', refuse(TLS, '<MDomain <MDomainSet MDActivationDelay MDBaseServer MDCACertificateFile MDCAChallenges ' +
    'MDCertificateAgreement MDCertificateAuthority MDCertificateCheck MDCertificateFile MDCertificateKeyFile MDCertificateProtocol ' +
    'MDCertificateStatus MDChallengeDns01 MDChallengeDns01Version MDCheckInterval MDContactEmail MDDriveMode MDExternalAccountBinding ' +
    'MDHttpProxy MDHttpProxyCACertificateFile MDInitialDelay MDMatchNames MDMember MDMembers MDMessageCmd MDMustStaple MDNotifyCmd MDomain ' +
    'MDPortMap MDPrivateKeys MDProfile MDProfileMandatory MDRenewMode MDRenewViaARI MDRenewWindow MDRequireHttps MDRetryDelay MDRetryFailover ' +
    'MDServerStatus MDStapleOthers MDStapling MDStaplingKeepResponse MDStaplingRenewWindow MDStoreDir MDStoreLocks MDWarnWindow')),
  mod('http2_module', 'mod_http2.c', accept('tswsgi speaks HTTP/1.1 only', 'H2CopyFiles:flag H2Direct:flag H2EarlyHints:flag H2MaxDataFrameLen:1 ' +
    'H2MaxHeaderBlockLen:1 H2MaxSessionStreams:1 H2MaxStreamErrors:1 H2MaxWorkerIdleSeconds:1 H2MaxWorkers:1 H2MinWorkers:1 H2ModernTLSOnly:flag ' +
    'H2OutputBuffering:flag H2Padding:1 H2ProxyRequests:flag H2Push:flag H2PushDiarySize:1 H2PushPriority:1-3 H2SerializeHeaders:flag ' +
    'H2SessionExtraFiles:1 H2StreamMaxMemSize:1 H2StreamTimeout:1 H2TLSCoolDownSecs:1 H2TLSWarmUpSize:1 H2Upgrade:flag H2WebSockets:flag H2WindowSize:1'),
  refuse(CONTENT, 'H2EarlyHint H2PushResource')),

  mod('access_compat_module', 'mod_access_compat.c'),
  mod('auth_basic_module', 'mod_auth_basic.c', refuse(AUTH, 'AuthBasicAuthoritative AuthBasicFake AuthBasicProvider AuthBasicUseDigestAlgorithm')),
  mod('auth_digest_module', 'mod_auth_digest.c', refuse(AUTH, 'AuthDigestAlgorithm AuthDigestDomain AuthDigestNcCheck AuthDigestNonceLifetime AuthDigestProvider AuthDigestQop AuthDigestShmemSize')),
  mod('auth_form_module', 'mod_auth_form.c', refuse(AUTH, 'AuthFormAuthoritative AuthFormBody AuthFormDisableNoStore AuthFormFakeBasicAuth AuthFormLocation ' +
    'AuthFormLoginRequiredLocation AuthFormLoginSuccessLocation AuthFormLogoutLocation AuthFormMethod AuthFormMimetype AuthFormPassword AuthFormProvider ' +
    'AuthFormSitePassphrase AuthFormSize AuthFormUsername')),
  mod('authn_anon_module', 'mod_authn_anon.c', refuse(AUTH, 'Anonymous Anonymous_LogEmail Anonymous_MustGiveEmail Anonymous_NoUserId Anonymous_VerifyEmail')),
  mod('authn_core_module', 'mod_authn_core.c', refuse(AUTH, '<AuthnProviderAlias AuthName AuthType')),
  mod('authn_dbd_module', 'mod_authn_dbd.c', refuse(AUTH, 'AuthDBDUserPWQuery AuthDBDUserRealmQuery')),
  mod('authn_dbm_module', 'mod_authn_dbm.c', refuse(AUTH, 'AuthDBMType AuthDBMUserFile')),
  mod('authn_file_module', 'mod_authn_file.c', refuse(AUTH, 'AuthUserFile')),
  mod('authn_socache_module', 'mod_authn_socache.c', refuse(AUTH, 'AuthnCacheContext AuthnCacheEnable AuthnCacheProvideFor AuthnCacheSOCache AuthnCacheTimeout')),
  mod('authnz_fcgi_module', 'mod_authnz_fcgi.c', refuse(AUTH, 'AuthnzFcgiCheckAuthnProvider AuthnzFcgiDefineProvider')),
  mod('authnz_ldap_module', 'mod_authnz_ldap.c', refuse(AUTH, 'AuthLDAPAuthorizePrefix AuthLDAPBindAuthoritative AuthLDAPBindDN AuthLDAPBindPassword ' +
    'AuthLDAPCharsetConfig AuthLDAPCompareAsUser AuthLDAPCompareDNOnServer AuthLDAPDereferenceAliases AuthLDAPGroupAttribute AuthLDAPGroupAttributeIsDN ' +
    'AuthLDAPInitialBindAsUser AuthLDAPInitialBindPattern AuthLDAPMaxSubGroupDepth AuthLDAPRemoteUserAttribute AuthLDAPRemoteUserIsDN ' +
    'AuthLDAPSearchAsUser AuthLDAPSubGroupAttribute AuthLDAPSubGroupClass AuthLDAPURL')),
  mod('authz_dbd_module', 'mod_authz_dbd.c', refuse(AUTH, 'AuthzDBDLoginToReferer AuthzDBDQuery AuthzDBDRedirectQuery')),
  mod('authz_dbm_module', 'mod_authz_dbm.c', refuse(AUTH, 'AuthDBMGroupFile AuthzDBMType')),
  mod('authz_groupfile_module', 'mod_authz_groupfile.c', refuse(AUTH, 'AuthGroupFile')),
  mod('authz_owner_module', 'mod_authz_owner.c'),
  mod('authz_user_module', 'mod_authz_user.c'),
  mod('allowmethods_module', 'mod_allowmethods.c', refuse(AUTH, 'AllowMethods')),
  mod('ldap_module', 'util_ldap.c', refuse(AUTH, 'LDAPCacheEntries LDAPCacheTTL LDAPConnectionPoolTTL LDAPConnectionTimeout LDAPLibraryDebug ' +
    'LDAPOpCacheEntries LDAPOpCacheTTL LDAPReferralHopLimit LDAPReferrals LDAPRetries LDAPRetryDelay LDAPSharedCacheFile LDAPSharedCacheSize ' +
    'LDAPTimeout LDAPTrustedClientCert LDAPTrustedGlobalCert LDAPTrustedMode LDAPVerifyServerCert')),
  mod('session_module', 'mod_session.c', refuse(AUTH, 'Session SessionEnv SessionExclude SessionExpiryUpdateInterval SessionHeader SessionInclude SessionMaxAge')),
  mod('session_cookie_module', 'mod_session_cookie.c', refuse(AUTH, 'SessionCookieName SessionCookieName2 SessionCookieRemove')),
  mod('session_crypto_module', 'mod_session_crypto.c', refuse(AUTH, 'SessionCryptoCipher SessionCryptoDriver SessionCryptoPassphrase SessionCryptoPassphraseFile')),
  mod('session_dbd_module', 'mod_session_dbd.c', refuse(AUTH, 'SessionDBDCookieName SessionDBDCookieName2 SessionDBDCookieRemove SessionDBDDeleteLabel ' +
    'SessionDBDInsertLabel SessionDBDPerUser SessionDBDSelectLabel SessionDBDUpdateLabel')),
  mod('ident_module', 'mod_ident.c', refuse('tswsgi makes no ident lookups, so REMOTE_IDENT would be missing', 'IdentityCheck IdentityCheckTimeout')),
  mod('remoteip_module', 'mod_remoteip.c', refuse('tswsgi does not implement it: REMOTE_ADDR would be the proxy\'s (WSGITrustedProxies does this for WSGI requests)',
    'RemoteIPHeader RemoteIPInternalProxy RemoteIPInternalProxyList RemoteIPProxiesHeader RemoteIPProxyProtocol RemoteIPProxyProtocolExceptions ' +
    'RemoteIPTrustedProxy RemoteIPTrustedProxyList')),

  mod('proxy_module', 'mod_proxy.c',
    // Debian's stock status.conf sets it wherever mod_proxy is enabled.
    accept('it adds proxy details to a server-status page, and tswsgi proxies nothing', 'ProxyStatus:Off|On|Full'),
    refuse(PROXY, '<Proxy <ProxyMatch BalancerGrowth BalancerInherit BalancerMember BalancerPersist NoProxy ' +
    'Proxy100Continue ProxyAddHeaders ProxyBadHeader ProxyBlock ProxyDomain ProxyErrorOverride ProxyIOBufferSize ProxyMaxForwards ProxyPass ' +
    'ProxyPassInherit ProxyPassInterpolateEnv ProxyPassMatch ProxyPassReverse ProxyPassReverseCookieDomain ProxyPassReverseCookiePath ' +
    'ProxyPreserveHost ProxyReceiveBufferSize ProxyRemote ProxyRemoteMatch ProxyRequests ProxySet ProxySourceAddress ProxyTimeout ProxyVia')),
  mod('proxy_ajp_module', 'mod_proxy_ajp.c'),
  mod('proxy_balancer_module', 'mod_proxy_balancer.c'),
  mod('proxy_connect_module', 'mod_proxy_connect.c', refuse(PROXY, 'AllowCONNECT')),
  mod('proxy_express_module', 'mod_proxy_express.c', refuse(PROXY, 'ProxyExpressDBMFile ProxyExpressDBMType ProxyExpressEnable')),
  mod('proxy_fcgi_module', 'mod_proxy_fcgi.c', refuse(PROXY, 'ProxyFCGIBackendType ProxyFCGISetEnvIf')),
  mod('proxy_fdpass_module', 'mod_proxy_fdpass.c'),
  mod('proxy_ftp_module', 'mod_proxy_ftp.c', refuse(PROXY, 'ProxyFtpDirCharset ProxyFtpEscapeWildcards ProxyFtpListOnWildcard')),
  mod('proxy_hcheck_module', 'mod_proxy_hcheck.c', refuse(PROXY, 'ProxyHCExpr ProxyHCTemplate ProxyHCTPsize')),
  mod('proxy_html_module', 'mod_proxy_html.c', refuse(CONTENT, 'ProxyHTMLBufSize ProxyHTMLCharsetOut ProxyHTMLDoctype ProxyHTMLEnable ProxyHTMLEvents ' +
    'ProxyHTMLExtended ProxyHTMLFixups ProxyHTMLInterp ProxyHTMLLinks ProxyHTMLMeta ProxyHTMLStripComments ProxyHTMLURLMap')),
  mod('proxy_http_module', 'mod_proxy_http.c'),
  mod('proxy_http2_module', 'mod_proxy_http2.c'),
  mod('proxy_scgi_module', 'mod_proxy_scgi.c', refuse(PROXY, 'ProxySCGIInternalRedirect ProxySCGISendfile')),
  mod('proxy_uwsgi_module', 'mod_proxy_uwsgi.c'),
  mod('proxy_wstunnel_module', 'mod_proxy_wstunnel.c', refuse(PROXY, 'ProxyWebsocketFallbackToProxyHttp')),
  ...['bybusyness', 'byrequests', 'bytraffic'].map((m) => mod(`lbmethod_${m}_module`, `mod_lbmethod_${m}.c`)),
  mod('lbmethod_heartbeat_module', 'mod_lbmethod_heartbeat.c', refuse(PROXY, 'HeartbeatStorage')),
  mod('heartbeat_module', 'mod_heartbeat.c', refuse(PROXY, 'HeartbeatAddress')),
  mod('heartmonitor_module', 'mod_heartmonitor.c', refuse(PROXY, 'HeartbeatListen HeartbeatMaxServers HeartbeatStorage')),

  mod('rewrite_module', 'mod_rewrite.c', refuse('tswsgi does not rewrite URLs yet, and would answer them as they come', 'RewriteBase RewriteCond RewriteEngine RewriteMap RewriteOptions RewriteRule')),
  mod('headers_module', 'mod_headers.c', refuse('tswsgi does not edit headers yet, and responses (or what the application sees) would differ', 'Header RequestHeader')),
  mod('expires_module', 'mod_expires.c', refuse('tswsgi does not set Expires or Cache-Control yet, and caches would behave differently', 'ExpiresActive ExpiresByType ExpiresDefault')),
  mod('actions_module', 'mod_actions.c', refuse(CGI, 'Action Script')),
  mod('cgi_module', 'mod_cgi.c', accept(NO_CGI, 'CGIScriptTimeout:1 ScriptLog:1 ScriptLogBuffer:1 ScriptLogLength:1')),
  mod('cgid_module', 'mod_cgid.c', accept(NO_CGI, 'CGIDScriptTimeout:1 ScriptLog:1 ScriptLogBuffer:1 ScriptLogLength:1 ScriptSock:1')),
  mod('suexec_module', 'mod_suexec.c', refuse(CGI, 'SuexecUserGroup')),
  mod('include_module', 'mod_include.c', refuse(CONTENT, 'SSIEndTag SSIErrorMsg SSIEtag SSILastModified SSILegacyExprParser SSIStartTag SSITimeFormat SSIUndefinedEcho XBitHack')),
  mod('lua_module', 'mod_lua.c', refuse('tswsgi runs no Lua hooks, and requests they handle or check would pass unhandled', '<LuaHookAccessChecker <LuaHookAuthChecker ' +
    '<LuaHookCheckUserID <LuaHookFixups <LuaHookMapToStorage <LuaHookPreTranslateName <LuaHookTranslateName <LuaHookTypeChecker <LuaQuickHandler ' +
    'Lua_____ByteCodeHack LuaAuthzProvider LuaCodeCache LuaHookAccessChecker LuaHookAuthChecker LuaHookCheckUserID LuaHookFixups LuaHookInsertFilter ' +
    'LuaHookLog LuaHookMapToStorage LuaHookPreTranslateName LuaHookTranslateName LuaHookTypeChecker LuaInherit LuaInputFilter LuaMapHandler ' +
    'LuaOutputFilter LuaPackageCPath LuaPackagePath LuaQuickHandler LuaRoot LuaScope')),
  mod('macro_module', 'mod_macro.c', refuse('tswsgi does not expand macros yet, so the configuration would not read as written', '<Macro MacroIgnoreBadNesting MacroIgnoreEmptyArgs UndefMacro Use')),
  mod('ext_filter_module', 'mod_ext_filter.c', refuse(CONTENT, 'ExtFilterDefine ExtFilterOptions')),
  mod('sed_module', 'mod_sed.c', refuse(CONTENT, 'InputSed OutputSed')),
  mod('substitute_module', 'mod_substitute.c', refuse(CONTENT, 'Substitute SubstituteInheritBefore SubstituteMaxLineLength')),
  mod('xml2enc_module', 'mod_xml2enc.c', refuse(CONTENT, 'xml2EncAlias xml2EncDefault xml2StartParse')),
  mod('charset_lite_module', 'mod_charset_lite.c', refuse(CONTENT, 'CharsetDefault CharsetOptions CharsetSourceEnc')),
  mod('cern_meta_module', 'mod_cern_meta.c', refuse(CONTENT, 'MetaDir MetaFiles MetaSuffix')),
  mod('imagemap_module', 'mod_imagemap.c', refuse(CONTENT, 'ImapBase ImapDefault ImapMenu')),
  mod('usertrack_module', 'mod_usertrack.c', refuse('tswsgi sets no tracking cookies, and the application would not see them', 'CookieDomain CookieExpires ' +
    'CookieHttpOnly CookieName CookieSameSite CookieSecure CookieStyle CookieTracking')),
  mod('userdir_module', 'mod_userdir.c', accept('tswsgi maps no ~user URLs, as with UserDir disabled', 'UserDir:@userdir')),
  mod('vhost_alias_module', 'mod_vhost_alias.c', refuse('tswsgi does not derive document roots from host names, and would serve another tree',
    'VirtualDocumentRoot VirtualDocumentRootIP VirtualScriptAlias VirtualScriptAliasIP')),
  mod('speling_module', 'mod_speling.c', refuse('tswsgi does not correct URLs, and would answer 404 where Apache redirects', 'CheckBasenameMatch CheckCaseOnly CheckSpelling')),
  mod('dav_module', 'mod_dav.c', refuse('tswsgi does not serve WebDAV', 'DAV DAVBasePath DAVDepthInfinity DAVLockDiscovery DAVMinTimeout')),
  mod('dav_fs_module', 'mod_dav_fs.c', refuse('tswsgi does not serve WebDAV', 'DAVLockDB')),
  mod('dav_lock_module', 'mod_dav_lock.c', refuse('tswsgi does not serve WebDAV', 'DAVGenericLockDB')),
  mod('cache_module', 'mod_cache.c', refuse('tswsgi caches no responses, so what the cache would answer the application answers', 'CacheDefaultExpire ' +
    'CacheDetailHeader CacheDisable CacheEnable CacheHeader CacheIgnoreCacheControl CacheIgnoreHeaders CacheIgnoreNoLastMod CacheIgnoreQueryString ' +
    'CacheIgnoreURLSessionIdentifiers CacheKeyBaseURL CacheLastModifiedFactor CacheLock CacheLockMaxAge CacheLockPath CacheMaxExpire CacheMinExpire ' +
    'CacheQuickHandler CacheStaleOnError CacheStoreExpired CacheStoreNoStore CacheStorePrivate')),
  mod('cache_disk_module', 'mod_cache_disk.c', accept('only CacheEnable (refused) would use it', 'CacheDirLength:1 CacheDirLevels:1 CacheMaxFileSize:1 ' +
    'CacheMinFileSize:1 CacheReadSize:1 CacheReadTime:1 CacheRoot:1')),
  mod('cache_socache_module', 'mod_cache_socache.c', accept('only CacheEnable (refused) would use it', 'CacheSocache:1 CacheSocacheMaxSize:1 ' +
    'CacheSocacheMaxTime:1 CacheSocacheMinTime:1 CacheSocacheReadSize:1 CacheSocacheReadTime:1')),
  mod('file_cache_module', 'mod_file_cache.c', accept(NO_OP, 'CacheFile:1+ MMapFile:1+')),
  mod('dbd_module', 'mod_dbd.c', accept('only modules tswsgi refuses would use these connections', 'DBDExptime:1 DBDInitSQL:1 DBDKeep:1 DBDMax:1 DBDMin:1 ' +
    'DBDParams:1 DBDPersist:flag DBDPrepareSQL:2 DBDriver:1')),
  mod('socache_dbm_module', 'mod_socache_dbm.c'),
  mod('socache_shmcb_module', 'mod_socache_shmcb.c'),
  mod('socache_memcache_module', 'mod_socache_memcache.c', accept('only modules tswsgi refuses would use the cache', 'MemcacheConnTTL:1')),
  mod('socache_redis_module', 'mod_socache_redis.c', accept('only modules tswsgi refuses would use the cache', 'RedisConnPoolTTL:1 RedisTimeout:1')),
  mod('slotmem_plain_module', 'mod_slotmem_plain.c'),
  mod('slotmem_shm_module', 'mod_slotmem_shm.c'),
  mod('buffer_module', 'mod_buffer.c', accept('tswsgi buffers as it sees fit; the bytes sent are the same', 'BufferSize:1')),
  mod('ratelimit_module', 'mod_ratelimit.c'),
  mod('data_module', 'mod_data.c'),
  mod('asis_module', 'mod_asis.c'),
  mod('unique_id_module', 'mod_unique_id.c'),
  mod('mime_magic_module', 'mod_mime_magic.c', accept('tswsgi types static files by their extension', 'MimeMagicFile:1')),
  mod('info_module', 'mod_info.c', accept('tswsgi has no server-info page', 'AddModuleInfo:2')),
  mod('log_debug_module', 'mod_log_debug.c', accept('tswsgi writes no such debug messages', 'LogMessage:1-3')),
  mod('log_forensic_module', 'mod_log_forensic.c', accept('tswsgi writes no forensic log', 'ForensicLog:1')),
  mod('dumpio_module', 'mod_dumpio.c', accept('tswsgi does not dump I/O to its log', 'DumpIOInput:flag DumpIOOutput:flag')),
  mod('dialup_module', 'mod_dialup.c', refuse('tswsgi does not throttle static files, and would send them at full speed', 'ModemStandard')),
  mod('echo_module', 'mod_echo.c', refuse('tswsgi does not echo connections, and would answer them as HTTP', 'ProtocolEcho')),
  mod('reflector_module', 'mod_reflector.c', refuse(CONTENT, 'ReflectorHeader')),
  mod('request_module', 'mod_request.c', refuse('tswsgi keeps no request bodies for other modules', 'KeptBodySize')),
];

export interface TierRule {
  name: string;
  module: string;
  tier: Tier;
  why: string;
  contexts: readonly Context[];
  check: (name: string, args: string[]) => CheckResult;
}

const NUMBERS = ['no', 'one', 'two', 'three'];

/** Apache's words for an argument count (the start of its message; tswsgi has not its per-directive help after the comma). */
function countWords(min: number, max: number): string {
  if (max === Infinity) return `requires at least ${NUMBERS[min]} argument${min === 1 ? '' : 's'}`;
  if (min === max) return `takes ${NUMBERS[min]} argument${min === 1 ? '' : 's'}`;
  // Apache's TAKE12 alone says it in figures.
  if (min === 1 && max === 2) return 'takes 1-2 arguments';
  const words = NUMBERS.slice(min, max + 1);
  return `takes ${words.slice(0, -1).join(', ')} or ${words[words.length - 1]} arguments`;
}

/** A shape word made into a check with Apache's messages. */
function shapeCheck(shape: string | undefined): TierRule['check'] {
  if (shape === undefined) return () => null;
  if (shape.startsWith('@')) {
    const check = CHECKS[shape.slice(1)];
    if (!check) throw new Error(`module-rules: no check '${shape}'`);
    return check;
  }
  if (shape === 'flag') return (name, args) => (args.length === 1 && /^(on|off)$/i.test(args[0]!) ? null : { error: `${name} must be On or Off` });
  if (shape.includes('|')) return oneOf(shape.split('|'));
  const m = /^(\d)(?:(\+)|-(\d))?$/.exec(shape);
  if (!m) throw new Error(`module-rules: bad shape '${shape}'`);
  const min = Number(m[1]);
  const max = m[2] ? Infinity : Number(m[3] ?? m[1]);
  const count = countWords(min, max);
  return (name, args) => (args.length >= min && args.length <= max ? null : { error: `${name} ${count}` });
}

const EVERYWHERE: readonly Context[] = ['server', 'vhost', 'directory'];

function buildRules(): Map<string, TierRule[]> {
  const rules = new Map<string, TierRule[]>();
  for (const module of MODULE_RULES) {
    for (const group of module.groups) {
      for (const word of group.directives.split(/\s+/).filter(Boolean)) {
        const [written, shape] = word.split(':') as [string, string | undefined];
        // A section is written '<Name', as `apache2 -L` lists it, and named in messages as <Name>.
        const name = written.startsWith('<') ? `${written}>` : written;
        const key = written.toLowerCase();
        rules.set(key, [...(rules.get(key) ?? []), { name, module: module.name, tier: group.tier, why: group.why, contexts: group.contexts ?? EVERYWHERE, check: shapeCheck(shape) }]);
      }
    }
  }
  return rules;
}

const RULES = buildRules();

/** The rules for a (lowercased) directive name, one per module that registers it; sections as '<name'. */
export function tierRules(key: string): readonly TierRule[] {
  return RULES.get(key) ?? [];
}

export function allTierRules(): TierRule[] {
  return [...RULES.values()].flat();
}
