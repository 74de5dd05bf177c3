// Which of the suite's server scenarios apply to ipsec-psk, per MCP era, and why the others do not.
//
// A scenario applies when it tests what any Streamable HTTP server with its own tools must do. Fixture scenarios
// call the suite's own test_* tools, test:// resources or test_* prompts, which a real server does not have (and
// would be wrong to ship): tools-call-simple-text and tools-call-error even pass when the tool does not exist.

/** Per era: the scenarios run, those run only if the server declares a capability, and checks expected to fail. */
export const ERAS = {
  '2025-11-25': {
    applicable: [
      'server-initialize', // initialize + initialized; a session id of visible ASCII only
      'server-session-lifecycle', // DELETE with the session id is accepted; that id then gets 404
      'ping', // ping answers {}
      'tools-list', // every tool has a name, a description and an inputSchema
      'server-sse-multiple-streams', // three concurrent POSTs on one session each get 200 and a working stream
      'dns-rebinding-protection', // Host/Origin evil.example.com gets a 4xx, the server's own host:port a 2xx
    ],
    ifCapability: {
      'logging-set-level': 'logging',
      'resources-list': 'resources',
      'prompts-list': 'prompts',
    },
    expected: {},
  },
  '2026-07-28': {
    applicable: [
      // Stateless requests with the _meta envelope, server/discover, subscriptions/listen, the error ladder.
      'server-stateless',
      'tools-list',
      'server-sse-multiple-streams',
      'dns-rebinding-protection',
      'caching', // ttlMs / cacheScope on list results
      'http-header-validation', // Mcp-Method / Mcp-Name headers must match the body (SEP-2243)
      'sep-2164-resource-not-found', // resources/read of an unknown URI
      'input-required-result-unsupported-methods', // push-style server requests are refused in this era
      'input-required-result-validate-input', // a retry's inputResponses are validated
    ],
    ifCapability: { 'resources-list': 'resources', 'prompts-list': 'prompts' },
    expected: {
      'server-stateless': {
        'sep-2575-server-rejects-undeclared-capability':
          'needs the fixture tool test_missing_capability (our own tools check capabilities: src/eras*.test.ts)',
        'sep-2575-missing-capability-http-400': 'needs the fixture tool test_missing_capability',
        'sep-2575-http-server-no-independent-requests-on-stream':
          'needs the fixture tool test_streaming_elicitation',
        'sep-2575-server-no-log-without-loglevel':
          'needs the fixture tool test_logging_tool (we log to stderr only)',
      },
      caching: {
        'sep-2549-prompts-list-caching-hints': 'the server has no prompts: prompts/list is rightly -32601',
      },
    },
  },
};

/** Every other server scenario of the suite, and why it is not run. */
export const NOT_APPLICABLE = {
  'tools-call-simple-text': 'fixture tool test_simple_text; passes even when it does not exist',
  'tools-call-image': 'fixture tool test_image_content',
  'tools-call-audio': 'fixture tool test_audio_content',
  'tools-call-embedded-resource': 'fixture tool test_embedded_resource',
  'tools-call-mixed-content': 'fixture tool test_multiple_content_types',
  'tools-call-with-logging': 'fixture tool test_tool_with_logging',
  'tools-call-error': 'fixture tool test_error_handling; passes even when it does not exist',
  'tools-call-with-progress': 'fixture tool test_tool_with_progress',
  'tools-call-sampling': 'fixture tool test_sampling',
  'tools-call-elicitation': 'fixture tool test_elicitation',
  'elicitation-sep1034-defaults': 'fixture tool test_elicitation_sep1034_defaults',
  'elicitation-sep1330-enums': 'fixture tool test_elicitation_sep1330_enums',
  'json-schema-2020-12': 'fixture tool json_schema_2020_12_tool',
  'completion-complete': 'completes the fixture prompt test_prompt_with_arguments; no completions capability',
  'resources-read-text': 'fixture resource test://static-text',
  'resources-read-binary': 'fixture resource test://static-binary',
  'resources-templates-read': 'fixture template test://template/{id}/data',
  'resources-subscribe': 'fixture resource test://watched-resource and the resources.subscribe capability',
  'resources-unsubscribe': 'fixture resource test://watched-resource and the resources.subscribe capability',
  'prompts-get-*': 'fixture prompts test_simple_prompt, test_prompt_with_* (4 scenarios)',
  'server-sse-polling': 'fixture tool test_reconnection and an event store',
  'http-custom-header-server-validation': 'fixture tool test_custom_headers (an x-mcp-header parameter)',
  'input-required-result-(11 others)':
    'fixture tools test_input_required_result_* and test_mrtr_*; our tools’ own input_required flow (the ' +
    'form, requestState signed, single-use, bound to principal and request) is tested in src/eras*.test.ts',
  'sep-2640-skills-*': 'skills extension (3 scenarios)',
  'tasks-*': 'tasks extension (10 scenarios)',
};
