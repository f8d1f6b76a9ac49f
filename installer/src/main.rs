//! `passerelle-install`: placeholder until the installer issue lands.
//!
//! It will install and uninstall the service (service-manager) and trust the local
//! certificate authority in the system and browser stores. Today it only says so.

fn main() {
    eprintln!(
        "passerelle-install: pas encore disponible. Lancez le démon avec `passerelle run` \
         et faites confiance à l'autorité locale indiquée au démarrage."
    );
    std::process::exit(2);
}
