//! The mails the desk sends when a privacy lead acts on a case — an extension, a refusal, the
//! answer — in the case's language (nb, nn, en). Like `texts`, Kapsel's words state the law
//! (arts. 12(3), 12(4), 17(3), 77); every fact about the operator comes from the privacy file,
//! and what the file does not give is left out, never guessed.

use kapsel_core::desk::ErasureGround;

/// One notice: its subject and body with `{placeholders}` the caller fills.
pub struct Notice {
    pub subject: &'static str,
    pub body: &'static str,
}

/// The extension notice (art. 12(3)): `{org}`, `{right}`, `{months}`, `{reason}`, `{due}`,
/// `{link}`.
pub fn extended(lang: &str) -> Notice {
    match lang {
        "nn" => Notice {
            subject: "{org}: fristen for førespurnaden din er forlengd",
            body: "Hei,\n\n{org} treng meir tid til å svare på førespurnaden din om {right}. Fristen er forlengd med {months} månad(er), slik personvernforordninga artikkel 12 nr. 3 tillèt.\n\nGrunnen: {reason}\n\nNy frist: {due}\n\nDu kan følgje førespurnaden her:\n{link}\n",
        },
        "en" => Notice {
            subject: "{org}: the deadline for your request has been extended",
            body: "Hello,\n\n{org} needs more time to answer your request for {right}. The deadline has been extended by {months} month(s), as Article 12(3) GDPR allows.\n\nThe reason: {reason}\n\nNew deadline: {due}\n\nYou can follow your request here:\n{link}\n",
        },
        _ => Notice {
            subject: "{org}: fristen for forespørselen din er forlenget",
            body: "Hei,\n\n{org} trenger mer tid til å svare på forespørselen din om {right}. Fristen er forlenget med {months} måned(er), slik personvernforordningen artikkel 12 nr. 3 tillater.\n\nBegrunnelse: {reason}\n\nNy frist: {due}\n\nDu kan følge forespørselen her:\n{link}\n",
        },
    }
}

/// The refusal (art. 12(4)): `{org}`, `{right}`, `{reason}`, `{ground}` (empty or a sentence),
/// `{complaint}`.
pub fn refused(lang: &str) -> Notice {
    match lang {
        "nn" => Notice {
            subject: "{org}: svar på førespurnaden din",
            body: "Hei,\n\n{org} kan ikkje imøtekome førespurnaden din om {right}.\n\nGrunnen: {reason}\n{ground}\n{complaint}\n",
        },
        "en" => Notice {
            subject: "{org}: the answer to your request",
            body: "Hello,\n\n{org} cannot grant your request for {right}.\n\nThe reason: {reason}\n{ground}\n{complaint}\n",
        },
        _ => Notice {
            subject: "{org}: svar på forespørselen din",
            body: "Hei,\n\n{org} kan ikke imøtekomme forespørselen din om {right}.\n\nBegrunnelse: {reason}\n{ground}\n{complaint}\n",
        },
    }
}

/// The answer when the case is completed: `{org}`, `{right}`, `{link}`, `{extra}`.
pub fn completed(lang: &str) -> Notice {
    match lang {
        "nn" => Notice {
            subject: "{org}: førespurnaden din er svart på",
            body: "Hei,\n\n{org} har svart på førespurnaden din om {right}.\n{extra}\nDu kan sjå svaret her:\n{link}\n\n{complaint}\n",
        },
        "en" => Notice {
            subject: "{org}: your request has been answered",
            body: "Hello,\n\n{org} has answered your request for {right}.\n{extra}\nYou can see the answer here:\n{link}\n\n{complaint}\n",
        },
        _ => Notice {
            subject: "{org}: forespørselen din er besvart",
            body: "Hei,\n\n{org} har besvart forespørselen din om {right}.\n{extra}\nDu kan se svaret her:\n{link}\n\n{complaint}\n",
        },
    }
}

/// For an access or portability answer: `{days}` the bundle can be downloaded.
pub fn bundle_ready(lang: &str) -> &'static str {
    match lang {
        "nn" => {
            "Opplysningane om deg ligg klare til nedlasting i {days} dagar. Ikkje del lenkja: den som har ho, kan laste ned opplysningane. Kvar nedlasting blir registrert.\n"
        }
        "en" => {
            "The data about you is ready to download for {days} days. Do not share the link: anyone who has it can download the data. Every download is recorded.\n"
        }
        _ => {
            "Opplysningene om deg ligger klare til nedlasting i {days} dager. Ikke del lenken: den som har den, kan laste ned opplysningene. Hver nedlasting registreres.\n"
        }
    }
}

/// The right to complain (art. 77), naming the authority when the privacy file does:
/// `{authority}`, `{url}`.
pub fn complaint(lang: &str, named: bool) -> &'static str {
    match (lang, named) {
        ("nn", true) => "Er du ueinig, kan du klage til {authority} ({url}).",
        ("nn", false) => "Er du ueinig, kan du klage til tilsynsmakta for personvern.",
        ("en", true) => "If you disagree, you may complain to {authority} ({url}).",
        ("en", false) => {
            "If you disagree, you may complain to the data protection supervisory authority."
        }
        (_, true) => "Er du uenig, kan du klage til {authority} ({url}).",
        (_, false) => "Er du uenig, kan du klage til tilsynsmyndigheten for personvern.",
    }
}

/// An erasure refusal's art. 17(3) ground as a sentence.
pub fn ground(lang: &str, ground: ErasureGround) -> &'static str {
    use ErasureGround as G;
    match (lang, ground) {
        ("nn", G::Expression) => {
            "Opplysningane trengst for å utøve ytrings- og informasjonsfridomen (personvernforordninga artikkel 17 nr. 3 bokstav a)."
        }
        ("nn", G::LegalObligation) => {
            "Opplysningane må lagrast for å oppfylle ei rettsleg plikt (personvernforordninga artikkel 17 nr. 3 bokstav b)."
        }
        ("nn", G::PublicHealth) => {
            "Opplysningane trengst av omsyn til folkehelsa (personvernforordninga artikkel 17 nr. 3 bokstav c)."
        }
        ("nn", G::Archiving) => {
            "Opplysningane trengst for arkiv, forsking eller statistikk i ålmenta si interesse (personvernforordninga artikkel 17 nr. 3 bokstav d)."
        }
        ("nn", G::LegalClaims) => {
            "Opplysningane trengst for å fastsetje, gjere gjeldande eller forsvare rettskrav (personvernforordninga artikkel 17 nr. 3 bokstav e)."
        }
        ("en", G::Expression) => {
            "The data is needed to exercise the right of freedom of expression and information (Article 17(3)(a) GDPR)."
        }
        ("en", G::LegalObligation) => {
            "The data must be kept to comply with a legal obligation (Article 17(3)(b) GDPR)."
        }
        ("en", G::PublicHealth) => {
            "The data is needed for reasons of public health (Article 17(3)(c) GDPR)."
        }
        ("en", G::Archiving) => {
            "The data is needed for archiving, research or statistics in the public interest (Article 17(3)(d) GDPR)."
        }
        ("en", G::LegalClaims) => {
            "The data is needed to establish, exercise or defend legal claims (Article 17(3)(e) GDPR)."
        }
        (_, G::Expression) => {
            "Opplysningene trengs for å utøve ytrings- og informasjonsfriheten (personvernforordningen artikkel 17 nr. 3 bokstav a)."
        }
        (_, G::LegalObligation) => {
            "Opplysningene må lagres for å oppfylle en rettslig forpliktelse (personvernforordningen artikkel 17 nr. 3 bokstav b)."
        }
        (_, G::PublicHealth) => {
            "Opplysningene trengs av hensyn til folkehelsen (personvernforordningen artikkel 17 nr. 3 bokstav c)."
        }
        (_, G::Archiving) => {
            "Opplysningene trengs for arkiv, forskning eller statistikk i allmennhetens interesse (personvernforordningen artikkel 17 nr. 3 bokstav d)."
        }
        (_, G::LegalClaims) => {
            "Opplysningene trengs for å fastsette, gjøre gjeldende eller forsvare rettskrav (personvernforordningen artikkel 17 nr. 3 bokstav e)."
        }
    }
}

/// The request was verified by other means (the requester has no link yet): `{org}`,
/// `{right}`, `{link}`.
pub fn verified(lang: &str) -> Notice {
    match lang {
        "nn" => Notice {
            subject: "{org}: førespurnaden din er motteken",
            body: "Hei,\n\n{org} har stadfest identiteten din og tek til med førespurnaden din om {right}.\n\nDu kan følgje førespurnaden her:\n{link}\n",
        },
        "en" => Notice {
            subject: "{org}: your request has been received",
            body: "Hello,\n\n{org} has confirmed your identity and is handling your request for {right}.\n\nYou can follow your request here:\n{link}\n",
        },
        _ => Notice {
            subject: "{org}: forespørselen din er mottatt",
            body: "Hei,\n\n{org} har bekreftet identiteten din og behandler forespørselen din om {right}.\n\nDu kan følge forespørselen her:\n{link}\n",
        },
    }
}
