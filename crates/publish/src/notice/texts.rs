//! The fixed texts of the privacy notice: legal bases, the default answer to art. 13(2)(e), the
//! data subject's rights and withdrawing consent, in nb, nn and en.

use kapsel_core::Lang;
use kapsel_core::privacy::LegalBasis;

use super::Right;
use crate::words::Tongue;

/// The GDPR art. 6(1) basis in words.
pub fn legal_basis_label(basis: LegalBasis, lang: &Lang) -> &'static str {
    let tongue = Tongue::of(lang);
    match basis {
        LegalBasis::Consent => tongue.pick(
            "Samtykke (personvernforordningen art. 6 nr. 1 bokstav a)",
            "Samtykke (personvernforordninga art. 6 nr. 1 bokstav a)",
            "Consent (GDPR art. 6(1)(a))",
        ),
        LegalBasis::Contract => tongue.pick(
            "Avtale med deg (personvernforordningen art. 6 nr. 1 bokstav b)",
            "Avtale med deg (personvernforordninga art. 6 nr. 1 bokstav b)",
            "A contract with you (GDPR art. 6(1)(b))",
        ),
        LegalBasis::LegalObligation => tongue.pick(
            "Rettslig forpliktelse (personvernforordningen art. 6 nr. 1 bokstav c)",
            "Rettsleg plikt (personvernforordninga art. 6 nr. 1 bokstav c)",
            "A legal obligation (GDPR art. 6(1)(c))",
        ),
        LegalBasis::VitalInterests => tongue.pick(
            "Vitale interesser (personvernforordningen art. 6 nr. 1 bokstav d)",
            "Vitale interesser (personvernforordninga art. 6 nr. 1 bokstav d)",
            "Vital interests (GDPR art. 6(1)(d))",
        ),
        LegalBasis::PublicTask => tongue.pick(
            "Oppgave i allmennhetens interesse eller offentlig myndighetsutøvelse (personvernforordningen art. 6 nr. 1 bokstav e)",
            "Oppgåve i allmenta si interesse eller utøving av offentleg mynde (personvernforordninga art. 6 nr. 1 bokstav e)",
            "A task in the public interest or official authority (GDPR art. 6(1)(e))",
        ),
        LegalBasis::LegitimateInterests => tongue.pick(
            "Berettiget interesse (personvernforordningen art. 6 nr. 1 bokstav f)",
            "Berettiga interesse (personvernforordninga art. 6 nr. 1 bokstav f)",
            "Legitimate interests (GDPR art. 6(1)(f))",
        ),
    }
}

/// What follows if the person does not give the data (art. 13(2)(e)), when the file says nothing.
pub(super) fn default_requirement(basis: LegalBasis, lang: &Lang) -> &'static str {
    let tongue = Tongue::of(lang);
    match basis {
        LegalBasis::Consent => tongue.pick(
            "Det er frivillig. Uten samtykket ditt behandler vi ikke opplysningene.",
            "Det er frivillig. Utan samtykket ditt behandlar vi ikkje opplysningane.",
            "No. Without your consent we do not process the data.",
        ),
        LegalBasis::Contract => tongue.pick(
            "Opplysningene trengs for å inngå og oppfylle avtalen. Uten dem kan vi ikke levere tjenesten.",
            "Opplysningane trengst for å inngå og oppfylle avtalen. Utan dei kan vi ikkje levere tenesta.",
            "The data is needed to enter into and perform the contract. Without it we cannot provide the service.",
        ),
        LegalBasis::LegalObligation => tongue.pick(
            "Vi er pålagt ved lov å behandle opplysningene.",
            "Vi er pålagde ved lov å behandle opplysningane.",
            "The law requires us to process the data.",
        ),
        _ => tongue.pick(
            "Du har ingen plikt til å gi oss opplysningene, men uten dem kan vi ikke oppfylle formålet over.",
            "Du har inga plikt til å gi oss opplysningane, men utan dei kan vi ikkje oppfylle føremålet over.",
            "You are not obliged to give us the data, but without it we cannot fulfil the purpose above.",
        ),
    }
}

pub(super) fn rights(lang: &Lang) -> Vec<Right> {
    let t = Tongue::of(lang);
    let right = |id,
                 article,
                 title: (&'static str, &'static str, &'static str),
                 text: (&'static str, &'static str, &'static str)| Right {
        id,
        article,
        title: t.pick(title.0, title.1, title.2),
        text: t.pick(text.0, text.1, text.2),
    };
    vec![
        right(
            "access",
            "15",
            ("Innsyn", "Innsyn", "Access"),
            (
                "Du kan be om å få vite hvilke opplysninger vi har om deg, og få en kopi av dem.",
                "Du kan be om å få vite kva opplysningar vi har om deg, og få ein kopi av dei.",
                "You can ask what data we hold about you and get a copy of it.",
            ),
        ),
        right(
            "rectification",
            "16",
            ("Retting", "Retting", "Rectification"),
            (
                "Du kan be oss rette opplysninger som er feil eller ufullstendige.",
                "Du kan be oss rette opplysningar som er feil eller ufullstendige.",
                "You can ask us to correct data that is wrong or incomplete.",
            ),
        ),
        right(
            "erasure",
            "17",
            ("Sletting", "Sletting", "Erasure"),
            (
                "Du kan be oss slette opplysninger om deg når vi ikke lenger har grunnlag for å behandle dem.",
                "Du kan be oss slette opplysningar om deg når vi ikkje lenger har grunnlag for å behandle dei.",
                "You can ask us to delete data about you when we no longer have grounds to process it.",
            ),
        ),
        right(
            "restriction",
            "18",
            (
                "Begrensning av behandlingen",
                "Avgrensing av behandlinga",
                "Restriction of processing",
            ),
            (
                "Du kan be oss begrense behandlingen, for eksempel mens vi undersøker om opplysningene er riktige.",
                "Du kan be oss avgrense behandlinga, til dømes medan vi undersøkjer om opplysningane er rette.",
                "You can ask us to restrict processing, for example while we check whether the data is correct.",
            ),
        ),
        right(
            "portability",
            "20",
            ("Dataportabilitet", "Dataportabilitet", "Data portability"),
            (
                "Når behandlingen bygger på samtykke eller avtale, kan du få opplysningene du har gitt oss, i et maskinlesbart format.",
                "Når behandlinga byggjer på samtykke eller avtale, kan du få opplysningane du har gitt oss, i eit maskinlesbart format.",
                "Where processing is based on consent or a contract, you can get the data you gave us in a machine-readable format.",
            ),
        ),
        right(
            "objection",
            "21",
            ("Protest", "Protest", "Objection"),
            (
                "Du kan protestere mot behandling som bygger på berettiget interesse eller allmennhetens interesse, og alltid mot direkte markedsføring.",
                "Du kan protestere mot behandling som byggjer på berettiga interesse eller allmenta si interesse, og alltid mot direkte marknadsføring.",
                "You can object to processing based on legitimate interests or a public task, and always to direct marketing.",
            ),
        ),
        right(
            "automated_decisions",
            "22",
            (
                "Automatiserte avgjørelser",
                "Automatiserte avgjerder",
                "Automated decisions",
            ),
            (
                "Du har rett til ikke å bli gjenstand for avgjørelser som utelukkende bygger på automatisert behandling, hvis de har rettsvirkning for deg eller påvirker deg i betydelig grad.",
                "Du har rett til ikkje å bli gjenstand for avgjerder som berre byggjer på automatisert behandling, dersom dei har rettsverknad for deg eller påverkar deg i monaleg grad.",
                "You have the right not to be subject to decisions based solely on automated processing that have legal or similarly significant effects on you.",
            ),
        ),
    ]
}

pub(super) fn withdraw_consent(lang: &Lang) -> Right {
    let t = Tongue::of(lang);
    Right {
        id: "withdraw_consent",
        article: "7",
        title: t.pick("Trekke tilbake samtykke", "Trekkje tilbake samtykke", "Withdrawing consent"),
        text: t.pick(
            "Du kan når som helst trekke tilbake et samtykke, like enkelt som du ga det. Valgene dine for informasjonskapsler endrer du på siden om informasjonskapsler. Behandlingen før du trakk samtykket tilbake, er fortsatt lovlig.",
            "Du kan når som helst trekkje tilbake eit samtykke, like enkelt som du gav det. Vala dine for informasjonskapslar endrar du på sida om informasjonskapslar. Behandlinga før du trekte samtykket tilbake, er framleis lovleg.",
            "You can withdraw consent at any time, as easily as you gave it. Change your cookie choices on the cookies page. Processing before you withdrew remains lawful.",
        ),
    }
}
