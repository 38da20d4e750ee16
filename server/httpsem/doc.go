// Package httpsem holds the HTTP semantics of Strata's origin server as pure
// functions over header values: byte ranges and multipart/byteranges layout
// (RFC 9110 §14), conditional requests (§13), content-coding negotiation
// (§12.5.3), HTTP-dates (§5.6.7), request-path cleaning into object keys,
// media types by extension and the Cache-Control policy.
//
// Nothing here touches a socket or a server library, so every rule is tested
// by tables and fuzzing alone, and the server package stays a thin adapter.
//
// The main trade-off: these functions run on every request of a server meant
// to outrun nginx, so they parse by hand over strings instead of building
// structured header values with strings.Split or time.Parse. That keeps the
// common paths allocation-free at the cost of more code, which the fuzz
// targets check against simple reference implementations. Where the RFCs
// leave room, the functions choose the answer that cannot serve wrong bytes:
// anything malformed falls back to a full 200 response rather than a guess.
package httpsem
