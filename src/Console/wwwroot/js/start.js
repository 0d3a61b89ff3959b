// The OIDC library signs in silently in a hidden iframe on every page load; there AuthenticationService.js completes
// the sign-in by itself, and starting the whole app in the iframe too would take the page's main thread meanwhile.
if (window === window.top) {
    Blazor.start();
}
