//! The fixed texts of the access summary in nb, nn and en. The headings and labels it shares
//! with the notice (legal basis, recipients, retention, rights, complaint, …) are `words`'
//! labels and the notice's own texts, not copies here.

use kapsel_core::Lang;
use kapsel_core::desk::Right;

use crate::words::Tongue;

/// Every text of the summary in one language. `{…}` parts are filled in by the summary.
#[derive(Debug, Clone, Copy)]
pub struct Texts {
    pub tongue: Tongue,
    pub title: &'static str,
    pub intro: &'static str,
    pub case: &'static str,
    pub date: &'static str,
    pub found_heading: &'static str,
    pub overview_caption: &'static str,
    pub col_dataset: &'static str,
    pub col_table: &'static str,
    pub col_rows: &'static str,
    pub col_fields: &'static str,
    pub nothing_found: &'static str,
    /// "Tabellen {table} i registeret {dataset} ({rows})".
    pub table_caption: &'static str,
    pub separate: &'static str,
    pub consent_heading: &'static str,
    /// "{count}" is [`Texts::records`].
    pub consent_text: &'static str,
    pub purposes_intro: &'static str,
    pub found_fields: &'static str,
    /// "{table} i {dataset}".
    pub table_in_dataset: &'static str,
    pub files_heading: &'static str,
    pub files_intro: &'static str,
    pub files_caption: &'static str,
    pub col_file: &'static str,
    pub col_size: &'static str,
    pub csv_note: &'static str,
}

impl Texts {
    pub fn of(lang: &Lang, right: Right) -> Texts {
        let t = Tongue::of(lang);
        let portability = right == Right::Portability;
        Texts {
            tongue: t,
            title: if portability {
                t.pick(
                    "Dataportabilitet: opplysningene dine i maskinlesbart format",
                    "Dataportabilitet: opplysningane dine i maskinlesbart format",
                    "Data portability: your data in a machine-readable format",
                )
            } else {
                t.pick(
                    "Innsyn: opplysningene vi har om deg",
                    "Innsyn: opplysningane vi har om deg",
                    "Access: the data we hold about you",
                )
            },
            intro: if portability {
                t.pick(
                    "Dette er svaret på forespørselen din om dataportabilitet etter personvernforordningen artikkel 20. Opplysningene vi fant om deg, ligger i pakken som JSON- og CSV-filer, som du kan lese inn i en annen tjeneste.",
                    "Dette er svaret på førespurnaden din om dataportabilitet etter personvernforordninga artikkel 20. Opplysningane vi fann om deg, ligg i pakken som JSON- og CSV-filer, som du kan lese inn i ei anna teneste.",
                    "This is the answer to your request for data portability under Article 20 of the GDPR. The data we found about you is in this bundle as JSON and CSV files, which you can import into another service.",
                )
            } else {
                t.pick(
                    "Dette er svaret på forespørselen din om innsyn etter personvernforordningen artikkel 15. Pakken inneholder en kopi av personopplysningene vi fant om deg, og informasjon om hvordan vi behandler dem.",
                    "Dette er svaret på førespurnaden din om innsyn etter personvernforordninga artikkel 15. Pakken inneheld ein kopi av personopplysningane vi fann om deg, og informasjon om korleis vi behandlar dei.",
                    "This is the answer to your request for access under Article 15 of the GDPR. The bundle holds a copy of the personal data we found about you, and information about how we process it.",
                )
            },
            case: t.pick("Saksnummer", "Saksnummer", "Case number"),
            date: t.pick("Dato", "Dato", "Date"),
            found_heading: t.pick("Hva vi fant", "Kva vi fann", "What we found"),
            overview_caption: t.pick(
                "Opplysninger om deg, per register og tabell",
                "Opplysningar om deg, per register og tabell",
                "Data about you, by dataset and table",
            ),
            col_dataset: t.pick("Register", "Register", "Dataset"),
            col_table: t.pick("Tabell", "Tabell", "Table"),
            col_rows: t.pick("Rader", "Rader", "Rows"),
            col_fields: t.pick("Felt (kategori)", "Felt (kategori)", "Fields (category)"),
            nothing_found: t.pick(
                "Vi fant ingen opplysninger om deg i registrene vi søkte i.",
                "Vi fann ingen opplysningar om deg i registera vi søkte i.",
                "We found no data about you in the datasets we searched.",
            ),
            table_caption: t.pick(
                "Tabellen {table} i registeret {dataset} ({rows})",
                "Tabellen {table} i registeret {dataset} ({rows})",
                "Table {table} in dataset {dataset} ({rows})",
            ),
            separate: t.pick(
                "Disse registrene går vi gjennom for seg. Det vi finner der, er ikke med i denne pakken:",
                "Desse registera går vi gjennom for seg. Det vi finn der, er ikkje med i denne pakken:",
                "We go through these datasets separately. What we find there is not in this bundle:",
            ),
            consent_heading: t.pick(
                "Valgene dine om informasjonskapsler",
                "Vala dine om informasjonskapslar",
                "Your cookie choices",
            ),
            consent_text: t.pick(
                "Vi har {count} av valgene du har gjort om informasjonskapsler. De ligger i filen {file}, én per linje. Vi lagrer dem for å kunne dokumentere hva du har valgt (personvernforordningen artikkel 7 nr. 1).",
                "Vi har {count} av vala du har gjort om informasjonskapslar. Dei ligg i fila {file}, éi per linje. Vi lagrar dei for å kunne dokumentere kva du har valt (personvernforordninga artikkel 7 nr. 1).",
                "We hold {count} of the choices you have made about cookies. They are in the file {file}, one per line. We keep them to be able to show what you chose (GDPR Article 7(1)).",
            ),
            purposes_intro: t.pick(
                "Opplysningene over brukes til disse formålene:",
                "Opplysningane over blir brukte til desse føremåla:",
                "The data above is used for these purposes:",
            ),
            found_fields: t.pick("Det vi fant om deg", "Det vi fann om deg", "What we found about you"),
            table_in_dataset: t.pick("{table} i {dataset}", "{table} i {dataset}", "{table} in {dataset}"),
            files_heading: t.pick("Filene i pakken", "Filene i pakken", "The files in this bundle"),
            files_intro: t.pick(
                "Hver tabell ligger både som JSON og som CSV, som du kan åpne i et regneark. manifest.json lister alle filene med størrelse og SHA-256-sjekksum, slik at du kan kontrollere at ingen av dem er endret.",
                "Kvar tabell ligg både som JSON og som CSV, som du kan opne i eit rekneark. manifest.json listar alle filene med storleik og SHA-256-sjekksum, slik at du kan kontrollere at ingen av dei er endra.",
                "Each table is there both as JSON and as CSV, which you can open in a spreadsheet. manifest.json lists every file with its size and SHA-256 checksum, so that you can check that none of them has been changed.",
            ),
            files_caption: t.pick(
                "Filer, størrelser og SHA-256-sjekksummer",
                "Filer, storleikar og SHA-256-sjekksummar",
                "Files, sizes and SHA-256 checksums",
            ),
            col_file: t.pick("Fil", "Fil", "File"),
            col_size: t.pick("Størrelse", "Storleik", "Size"),
            csv_note: t.pick(
                "I CSV-filene begynner en verdi som et regneark ville lest som en formel, med en apostrof ('), så ingenting blir kjørt når du åpner filen. JSON-filene har alle verdiene nøyaktig slik de er lagret.",
                "I CSV-filene byrjar ein verdi som eit rekneark ville ha lese som ein formel, med ein apostrof ('), så ingenting blir køyrt når du opnar fila. JSON-filene har alle verdiane nøyaktig slik dei er lagra.",
                "In the CSV files, a value that a spreadsheet would read as a formula starts with an apostrophe ('), so that nothing runs when you open the file. The JSON files hold every value exactly as it is stored.",
            ),
        }
    }

    /// "1 rad", "3 rader", "3 rows".
    pub fn rows(&self, count: usize) -> String {
        let unit = if count == 1 {
            self.tongue.pick("rad", "rad", "row")
        } else {
            self.tongue.pick("rader", "rader", "rows")
        };
        format!("{count} {unit}")
    }

    /// "1 registrering", "3 registreringar", "3 records".
    pub fn records(&self, count: usize) -> String {
        let unit = if count == 1 {
            self.tongue.pick("registrering", "registrering", "record")
        } else {
            self.tongue
                .pick("registreringer", "registreringar", "records")
        };
        format!("{count} {unit}")
    }

    /// "1 234 byte", "1,234 bytes".
    pub fn bytes(&self, count: u64) -> String {
        let digits = count.to_string();
        let separator = self.tongue.pick("\u{a0}", "\u{a0}", ",");
        let mut grouped = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push_str(separator);
            }
            grouped.push(digit);
        }
        let unit = match self.tongue {
            Tongue::English if count == 1 => "byte",
            Tongue::English => "bytes",
            _ => "byte",
        };
        format!("{grouped}\u{a0}{unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_naturally() {
        let nb = Texts::of(&Lang::new("nb"), Right::Access);
        let nn = Texts::of(&Lang::new("nn"), Right::Access);
        let en = Texts::of(&Lang::new("en"), Right::Access);
        assert_eq!(nb.rows(1), "1 rad");
        assert_eq!(nn.rows(2), "2 rader");
        assert_eq!(en.rows(2), "2 rows");
        assert_eq!(nn.records(3), "3 registreringar");
        assert_eq!(nb.records(1), "1 registrering");
        assert_eq!(nb.bytes(1_234_567), "1\u{a0}234\u{a0}567\u{a0}byte");
        assert_eq!(en.bytes(1_234), "1,234\u{a0}bytes");
        assert_eq!(en.bytes(1), "1\u{a0}byte");
        assert_eq!(en.bytes(999), "999\u{a0}bytes");
    }
}
