//! Every word the privacy centre, its pages and its mail show, in nb, nn and en. Kapsel's own
//! words about GDPR arts. 7(3) and 15–21: they state the law, never a fact about the operator
//! (the operator's name and contact come from the privacy file).

use kapsel_core::desk::{CaseState, Right};

/// One language's texts.
pub struct Texts {
    pub title: &'static str,
    /// `{org}` is the organisation's name.
    pub intro: &'static str,
    pub controller: &'static str,
    pub contact_email: &'static str,
    pub email_label: &'static str,
    pub email_hint: &'static str,
    pub wrong_label: &'static str,
    pub right_label: &'static str,
    pub activity_label: &'static str,
    pub activity_choose: &'static str,
    pub submit: &'static str,
    pub withdraw_heading: &'static str,
    pub withdraw_text: &'static str,
    pub cookies_link: &'static str,
    pub sent_heading: &'static str,
    pub sent_text: &'static str,
    pub back: &'static str,
    pub refused_heading: &'static str,
    pub refused_text: &'static str,
    pub status_heading: &'static str,
    pub status_right: &'static str,
    pub status_state: &'static str,
    pub status_received: &'static str,
    pub status_due: &'static str,
    pub status_due_note: &'static str,
    /// `{org}`, `{right}`, `{site}`.
    pub mail_subject: &'static str,
    /// `{org}`, `{right}`, `{site}`, `{link}`.
    pub mail_body: &'static str,
    pub months: [&'static str; 12],
    /// The heading of the error summary on a refused form.
    pub error_summary: &'static str,
    pub error_email: &'static str,
    pub error_wrong_missing: &'static str,
    pub error_correct_missing: &'static str,
    pub error_wrong_long: &'static str,
    pub error_correct_long: &'static str,
    pub error_activity: &'static str,
    pub error_right: &'static str,
    pub error_form: &'static str,
}

pub const NB: Texts = Texts {
    title: "Dine personvernrettigheter",
    intro: "Her kan du be {org} om å gjøre noe med personopplysningene de har om deg. Etter personvernforordningen (GDPR) skal forespørselen besvares innen én måned etter at den er mottatt. Fristen kan forlenges med to måneder til når det er nødvendig, og da får du vite hvorfor innen den første måneden. Først sjekker vi at e-postadressen er din: du får en e-post med en lenke.",
    controller: "Behandlingsansvarlig",
    contact_email: "E-post",
    email_label: "E-postadresse",
    email_hint: "Vi sender en lenke til denne adressen for å sjekke at den er din.",
    wrong_label: "Hva er feil?",
    right_label: "Hva er riktig?",
    activity_label: "Hvilken behandling gjelder det?",
    activity_choose: "Velg en behandling",
    submit: "Send forespørselen",
    withdraw_heading: "Trekke tilbake samtykke til informasjonskapsler (art. 7 nr. 3)",
    withdraw_text: "Du kan når som helst trekke tilbake et samtykke, like enkelt som du ga det. For informasjonskapsler og lignende teknologi på nettstedet bruker du knappen «Innstillinger for personvern» på nettstedet for å endre valgene dine. Du trenger ikke noe skjema.",
    cookies_link: "Se hvilke informasjonskapsler nettstedet bruker",
    sent_heading: "Sjekk e-posten din",
    sent_text: "Hvis adressen er riktig, får du en e-post med en lenke. Lenken virker én gang, i 30 minutter. Åpne den for å bekrefte forespørselen; først da blir den behandlet.",
    back: "Tilbake til personvernrettighetene",
    refused_heading: "Denne lenken virker ikke lenger",
    refused_text: "Lenker virker én gang og i 30 minutter. Send forespørselen på nytt.",
    status_heading: "Forespørselen din",
    status_right: "Rettighet",
    status_state: "Status",
    status_received: "Mottatt",
    status_due: "Svarfrist",
    status_due_note: "Du skal få svar senest denne dagen. Fristen kan forlenges med to måneder; da får du beskjed og begrunnelse før den første fristen.",
    mail_subject: "Bekreft forespørselen din til {org}",
    mail_body: "Noen, trolig du, har bedt {org} om {right} på {site}.\n\nÅpne denne lenken innen 30 minutter for å bekrefte at e-postadressen er din:\n{link}\n\nHvis det ikke var deg, kan du se bort fra denne e-posten. Da skjer det ingenting.\n",
    months: [
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ],
    error_summary: "Skjemaet har en feil:",
    error_email: "E-postadressen må være én vanlig adresse, for eksempel navn@example.no.",
    error_wrong_missing: "Skriv hva som er feil.",
    error_correct_missing: "Skriv hva som er riktig.",
    error_wrong_long: "Teksten om hva som er feil kan være høyst 2000 tegn.",
    error_correct_long: "Teksten om hva som er riktig kan være høyst 2000 tegn.",
    error_activity: "Velg en av behandlingene i listen.",
    error_right: "Forespørselen gjaldt ingen rettighet vi kjenner. Bruk et av skjemaene nedenfor.",
    error_form: "Skjemaet kom ikke fram som det skulle. Fyll det ut på nytt.",
};

pub const NN: Texts = Texts {
    title: "Personvernrettane dine",
    intro: "Her kan du be {org} om å gjere noko med personopplysningane dei har om deg. Etter personvernforordninga (GDPR) skal førespurnaden svarast på innan éin månad etter at han er motteken. Fristen kan forlengjast med to månader til når det er naudsynt, og då får du vite kvifor innan den første månaden. Først sjekkar vi at e-postadressa er di: du får ein e-post med ei lenkje.",
    controller: "Behandlingsansvarleg",
    contact_email: "E-post",
    email_label: "E-postadresse",
    email_hint: "Vi sender ei lenkje til denne adressa for å sjekke at ho er di.",
    wrong_label: "Kva er feil?",
    right_label: "Kva er rett?",
    activity_label: "Kva behandling gjeld det?",
    activity_choose: "Vel ei behandling",
    submit: "Send førespurnaden",
    withdraw_heading: "Trekkje tilbake samtykke til informasjonskapslar (art. 7 nr. 3)",
    withdraw_text: "Du kan når som helst trekkje tilbake eit samtykke, like enkelt som du gav det. For informasjonskapslar og liknande teknologi på nettstaden bruker du knappen «Innstillingar for personvern» på nettstaden for å endre vala dine. Du treng ikkje noko skjema.",
    cookies_link: "Sjå kva informasjonskapslar nettstaden bruker",
    sent_heading: "Sjekk e-posten din",
    sent_text: "Viss adressa er rett, får du ein e-post med ei lenkje. Lenkja verkar éin gong, i 30 minutt. Opne ho for å stadfeste førespurnaden; først då blir han behandla.",
    back: "Tilbake til personvernrettane",
    refused_heading: "Denne lenkja verkar ikkje lenger",
    refused_text: "Lenkjer verkar éin gong og i 30 minutt. Send førespurnaden på nytt.",
    status_heading: "Førespurnaden din",
    status_right: "Rett",
    status_state: "Status",
    status_received: "Motteken",
    status_due: "Svarfrist",
    status_due_note: "Du skal få svar seinast denne dagen. Fristen kan forlengjast med to månader; då får du melding og grunngiving før den første fristen.",
    mail_subject: "Stadfest førespurnaden din til {org}",
    mail_body: "Nokon, truleg du, har bede {org} om {right} på {site}.\n\nOpne denne lenkja innan 30 minutt for å stadfeste at e-postadressa er di:\n{link}\n\nViss det ikkje var deg, kan du sjå bort frå denne e-posten. Då skjer det ingenting.\n",
    months: [
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ],
    error_summary: "Skjemaet har ein feil:",
    error_email: "E-postadressa må vere éi vanleg adresse, til dømes namn@example.no.",
    error_wrong_missing: "Skriv kva som er feil.",
    error_correct_missing: "Skriv kva som er rett.",
    error_wrong_long: "Teksten om kva som er feil kan vere høgst 2000 teikn.",
    error_correct_long: "Teksten om kva som er rett kan vere høgst 2000 teikn.",
    error_activity: "Vel ei av behandlingane i lista.",
    error_right: "Førespurnaden gjaldt ingen rett vi kjenner. Bruk eitt av skjemaa nedanfor.",
    error_form: "Skjemaet kom ikkje fram som det skulle. Fyll det ut på nytt.",
};

pub const EN: Texts = Texts {
    title: "Your privacy rights",
    intro: "Here you can ask {org} to act on the personal data it holds about you. Under the General Data Protection Regulation (GDPR) the request must be answered within one month of receipt. Where necessary the period can be extended by two further months; you are then told why within the first month. First we check that the e-mail address is yours: you get an e-mail with a link.",
    controller: "Controller",
    contact_email: "E-mail",
    email_label: "E-mail address",
    email_hint: "We send a link to this address to check that it is yours.",
    wrong_label: "What is wrong?",
    right_label: "What is right?",
    activity_label: "Which processing activity?",
    activity_choose: "Choose an activity",
    submit: "Send the request",
    withdraw_heading: "Withdraw consent to cookies (art. 7(3))",
    withdraw_text: "You may withdraw a consent at any time, as easily as you gave it. For cookies and similar technologies on the website, use the “Privacy settings” button on the site to change your choices. No form is needed.",
    cookies_link: "See which cookies the site uses",
    sent_heading: "Check your e-mail",
    sent_text: "If the address is right, you will get an e-mail with a link. The link works once, for 30 minutes. Open it to confirm the request; only then is it handled.",
    back: "Back to your privacy rights",
    refused_heading: "This link no longer works",
    refused_text: "Links work once and for 30 minutes. Submit the request again.",
    status_heading: "Your request",
    status_right: "Right",
    status_state: "State",
    status_received: "Received",
    status_due: "Answer due",
    status_due_note: "You should get an answer by this day at the latest. The period can be extended by two months; you are then told so, with the reasons, before the first deadline.",
    mail_subject: "Confirm your request to {org}",
    mail_body: "Someone, probably you, asked {org} for {right} on {site}.\n\nOpen this link within 30 minutes to confirm that the e-mail address is yours:\n{link}\n\nIf it was not you, you can ignore this e-mail; nothing will happen.\n",
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    error_summary: "The form has an error:",
    error_email: "The e-mail address must be one plain address, for example name@example.no.",
    error_wrong_missing: "Write what is wrong.",
    error_correct_missing: "Write what is correct.",
    error_wrong_long: "The text about what is wrong may be at most 2,000 characters.",
    error_correct_long: "The text about what is correct may be at most 2,000 characters.",
    error_activity: "Choose one of the processing activities in the list.",
    error_right: "The request was not for a right we know. Use one of the forms below.",
    error_form: "The form did not arrive as it should. Please fill it in again.",
};

/// The texts of `lang` (`nb`, `nn`, anything else English).
pub fn texts(lang: &str) -> &'static Texts {
    match lang {
        "nb" => &NB,
        "nn" => &NN,
        _ => &EN,
    }
}

/// A right's heading and its explanation in `lang`.
pub fn right_words(lang: &str, right: Right) -> (&'static str, &'static str) {
    match (lang, right) {
        ("nb", Right::Access) => (
            "Innsyn (art. 15)",
            "Du kan få vite om personopplysninger om deg behandles, og få en kopi av dem, sammen med opplysninger om formål, kategorier av opplysninger, mottakere, hvor lenge de lagres, hvor de kommer fra og de andre rettighetene dine.",
        ),
        ("nb", Right::Rectification) => (
            "Retting (art. 16)",
            "Du kan få rettet uriktige personopplysninger om deg, og få ufullstendige opplysninger supplert.",
        ),
        ("nb", Right::Erasure) => (
            "Sletting (art. 17)",
            "Du kan få personopplysningene dine slettet, for eksempel når de ikke lenger trengs til formålet de ble samlet inn for, når du trekker tilbake samtykket de bygger på, eller når du har protestert. Noen opplysninger må lagres etter lov, for eksempel regnskapsopplysninger; da får du vite hvorfor.",
        ),
        ("nb", Right::Restriction) => (
            "Begrensning (art. 18)",
            "Du kan be om at personopplysningene dine lagres, men ikke brukes ellers, for eksempel mens det undersøkes om opplysningene er riktige eller om en protest skal tas til følge.",
        ),
        ("nb", Right::Objection) => (
            "Protest (art. 21)",
            "Du kan protestere mot behandling som bygger på berettiget interesse eller utføres i allmennhetens interesse, på grunn av din særlige situasjon. Mot direkte markedsføring kan du alltid protestere; da stanses behandlingen for det formålet.",
        ),
        ("nb", Right::Portability) => (
            "Dataportabilitet (art. 20)",
            "Du kan få personopplysningene du selv har gitt, i et strukturert, vanlig brukt og maskinlesbart format, når behandlingen bygger på samtykke eller avtale og skjer automatisert.",
        ),
        ("nb", Right::WithdrawConsent) => ("Tilbaketrekking av samtykke (art. 7 nr. 3)", ""),
        ("nn", Right::Access) => (
            "Innsyn (art. 15)",
            "Du kan få vite om personopplysningar om deg blir behandla, og få ein kopi av dei, saman med opplysningar om føremål, kategoriar av opplysningar, mottakarar, kor lenge dei blir lagra, kvar dei kjem frå og dei andre rettane dine.",
        ),
        ("nn", Right::Rectification) => (
            "Retting (art. 16)",
            "Du kan få retta uriktige personopplysningar om deg, og få ufullstendige opplysningar supplerte.",
        ),
        ("nn", Right::Erasure) => (
            "Sletting (art. 17)",
            "Du kan få personopplysningane dine sletta, til dømes når dei ikkje lenger trengst til føremålet dei vart samla inn for, når du trekkjer tilbake samtykket dei byggjer på, eller når du har protestert. Nokre opplysningar må lagrast etter lov, til dømes rekneskapsopplysningar; då får du vite kvifor.",
        ),
        ("nn", Right::Restriction) => (
            "Avgrensing (art. 18)",
            "Du kan be om at personopplysningane dine blir lagra, men ikkje brukte elles, til dømes medan det blir undersøkt om opplysningane er rette eller om ein protest skal takast til følgje.",
        ),
        ("nn", Right::Objection) => (
            "Protest (art. 21)",
            "Du kan protestere mot behandling som byggjer på berettiga interesse eller blir utført i allmenta si interesse, på grunn av den særlege situasjonen din. Mot direkte marknadsføring kan du alltid protestere; då blir behandlinga for det føremålet stansa.",
        ),
        ("nn", Right::Portability) => (
            "Dataportabilitet (art. 20)",
            "Du kan få personopplysningane du sjølv har gitt, i eit strukturert, vanleg brukt og maskinlesbart format, når behandlinga byggjer på samtykke eller avtale og skjer automatisert.",
        ),
        ("nn", Right::WithdrawConsent) => ("Tilbaketrekking av samtykke (art. 7 nr. 3)", ""),
        (_, Right::Access) => (
            "Access (art. 15)",
            "You may learn whether personal data about you are processed, and get a copy of them, together with the purposes, the categories of data, the recipients, how long they are kept, where they came from and your other rights.",
        ),
        (_, Right::Rectification) => (
            "Rectification (art. 16)",
            "You may have inaccurate personal data about you corrected, and incomplete data completed.",
        ),
        (_, Right::Erasure) => (
            "Erasure (art. 17)",
            "You may have your personal data erased, for example when they are no longer needed for the purpose they were collected for, when you withdraw the consent they rest on, or when you have objected. Some data must be kept by law, for example accounting records; you are then told why.",
        ),
        (_, Right::Restriction) => (
            "Restriction (art. 18)",
            "You may ask that your personal data are kept but not otherwise used, for example while it is checked whether the data are accurate or whether an objection is to be upheld.",
        ),
        (_, Right::Objection) => (
            "Objection (art. 21)",
            "You may object, on grounds relating to your particular situation, to processing based on legitimate interests or carried out in the public interest. You may always object to direct marketing; the processing for that purpose then stops.",
        ),
        (_, Right::Portability) => (
            "Data portability (art. 20)",
            "You may get the personal data you provided yourself in a structured, commonly used and machine-readable format, where the processing rests on consent or a contract and is carried out by automated means.",
        ),
        (_, Right::WithdrawConsent) => ("Withdrawal of consent (art. 7(3))", ""),
    }
}

/// The right as a noun inside the mail's sentence ("… asked X for access on Y").
pub fn right_in_sentence(lang: &str, right: Right) -> &'static str {
    match (lang, right) {
        ("nb", Right::Access) => "innsyn",
        ("nb", Right::Rectification) => "retting",
        ("nb", Right::Erasure) => "sletting",
        ("nb", Right::Restriction) => "begrensning av behandlingen",
        ("nb", Right::Objection) => "å stanse en behandling (protest)",
        ("nb", Right::Portability) => "dataportabilitet",
        ("nb", Right::WithdrawConsent) => "å trekke tilbake et samtykke",
        ("nn", Right::Access) => "innsyn",
        ("nn", Right::Rectification) => "retting",
        ("nn", Right::Erasure) => "sletting",
        ("nn", Right::Restriction) => "avgrensing av behandlinga",
        ("nn", Right::Objection) => "å stanse ei behandling (protest)",
        ("nn", Right::Portability) => "dataportabilitet",
        ("nn", Right::WithdrawConsent) => "å trekkje tilbake eit samtykke",
        (_, Right::Access) => "access",
        (_, Right::Rectification) => "rectification",
        (_, Right::Erasure) => "erasure",
        (_, Right::Restriction) => "restriction of processing",
        (_, Right::Objection) => "an end to processing (objection)",
        (_, Right::Portability) => "data portability",
        (_, Right::WithdrawConsent) => "withdrawal of a consent",
    }
}

/// A case's state in words, for the requester.
pub fn state_words(lang: &str, state: CaseState) -> &'static str {
    let (nb, nn, en) = match state {
        CaseState::Received => (
            "Mottatt, venter på bekreftelse",
            "Motteken, ventar på stadfesting",
            "Received, waiting for confirmation",
        ),
        CaseState::Verified => (
            "Bekreftet, venter på behandling",
            "Stadfesta, ventar på behandling",
            "Confirmed, waiting to be handled",
        ),
        CaseState::InProgress => ("Under behandling", "Under behandling", "Being handled"),
        CaseState::Paused(_) => (
            "Venter på svar fra deg",
            "Ventar på svar frå deg",
            "Waiting for an answer from you",
        ),
        CaseState::Completed => ("Fullført", "Fullført", "Completed"),
        CaseState::Refused => ("Avslått", "Avslått", "Refused"),
        CaseState::Withdrawn => ("Trukket tilbake", "Trekt tilbake", "Withdrawn"),
        CaseState::Lapsed => (
            "Utløpt (ikke bekreftet)",
            "Gått ut (ikkje stadfesta)",
            "Lapsed (not confirmed)",
        ),
    };
    match lang {
        "nb" => nb,
        "nn" => nn,
        _ => en,
    }
}
