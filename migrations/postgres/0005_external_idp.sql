-- Sign-in through an external OpenID provider (the national identity platform): pending
-- sign-ins (state, nonce, PKCE verifier) and the link between an external subject and an account.

CREATE TABLE external_logins (
    state TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    verifier TEXT NOT NULL,
    next_path TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE external_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
