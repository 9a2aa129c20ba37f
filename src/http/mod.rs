//! The HTTP edge: routing, multipart forms, error bodies. The only module that knows about
//! axum and lambda_http.
